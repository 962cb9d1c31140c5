import { setTimeout as sleep } from 'node:timers/promises';
import { volumeDir, volumeKey } from '../../model/volume.js';
import type { Workload } from '../../model/workload.js';
import type { CoreContext } from '../context.js';

/** How long a deploy waits for a node's agent to make a volume's directory and quota (two heartbeats and the tools). */
const PREPARE_DEADLINE_MS = 30_000;
const POLL_MS = 100;

/**
 * Waits until the agent of the workload's node reports each of its shared volumes ready at the
 * directory the workload will mount, with the volume's quota. The agent does the work when its
 * heartbeat's answer names the volume (core/volumes/keep.ts), so this only watches its reports.
 * Throws what the agent said went wrong (a symlink in the way, no MooseFS), or that it said nothing.
 */
export async function volumesReady(context: CoreContext, workload: Pick<Workload, 'app' | 'node' | 'shared' | 'sharedDirs'>): Promise<void> {
  if (workload.shared.length === 0) return;
  const { repos } = context;
  const deadline = Date.now() + PREPARE_DEADLINE_MS;
  for (;;) {
    const reports = (await repos.alive.get(workload.node))?.volumes ?? {};
    const waiting: string[] = [];
    for (const [i, volume] of workload.shared.entries()) {
      const dir = workload.sharedDirs[i]!;
      const size = (await repos.volumes.get(workload.app, volume.name))?.value.size;
      const report = reports[volumeKey(workload.app, volume.name)];
      const forThis = report !== undefined && volumeDir(report.root, workload.app, volume.name) === dir && report.size === size;
      if (forThis && report.error) throw new Error(`volume ${volume.name} on ${workload.node}: ${report.error}`);
      if (!forThis || !report.ready) waiting.push(volume.name);
    }
    if (waiting.length === 0) return;
    if (Date.now() > deadline) {
      throw new Error(`the agent of ${workload.node} did not prepare volume ${waiting.join(', ')} within ${PREPARE_DEADLINE_MS / 1000} s (is it running?)`);
    }
    await sleep(POLL_MS);
  }
}
