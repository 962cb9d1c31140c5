import type { KeptVolume } from '../../contract/agents.js';
import type { VolumeReport } from '../../model/volume.js';
import { sharedRootOf, volumeKey } from '../../model/volume.js';
import { del, unchanged, type Repositories } from '../repositories.js';

/**
 * What a node's agent is to keep, for its heartbeat's answer: the node's shared root and each volume an
 * instance there used (with its quota), or the ones `eru app volume rm` asked to delete. Undefined when
 * it keeps none. Its entries come from the core's mirror (at every heartbeat, a node that keeps none costs no read).
 */
export async function keptVolumes(repos: Repositories, node: string): Promise<{ root: string; volumes: KeptVolume[] } | undefined> {
  const entries = (await repos.mirrored.nodeVolumes()).list().filter((entry) => entry.name.startsWith(`${node}/`)).map((entry) => ({ ...entry, name: entry.name.slice(node.length + 1) }));
  if (entries.length === 0) return undefined;
  const record = (await repos.nodes.get(node))?.value;
  const pod = record ? (await repos.pods.get(record.pod))?.value : undefined;
  const root = record && pod ? sharedRootOf(pod, record) : undefined;
  if (!root) return undefined;
  const volumes: KeptVolume[] = [];
  for (const entry of entries) {
    const [app, name] = entry.name.split('/') as [string, string];
    const volume = (await repos.volumes.get(app, name))?.value;
    if (volume) volumes.push({ app, name, ...(volume.size !== undefined ? { size: volume.size } : {}), remove: volume.removing !== undefined });
  }
  return { root, volumes };
}

/**
 * A volume being removed is gone once an agent reports its directory deleted: the shared file system
 * is one, so one node's word is enough — the word of a node that keeps that volume (an agent speaks
 * for its node only: a report about another app's volume is ignored). Its record and every node's
 * entry go in one transaction.
 */
export async function settleRemovals(repos: Repositories, node: string, reports: Record<string, VolumeReport>): Promise<string[]> {
  const settled: string[] = [];
  for (const [key, report] of Object.entries(reports)) {
    if (!report.removed) continue;
    const [app, name] = key.split('/') as [string, string];
    const volume = await repos.volumes.get(app, name);
    if (!volume?.value.removing) continue;
    const holders = (await repos.nodeVolumes.all()).filter(([, a, n]) => a === app && n === name);
    if (!holders.some(([holder]) => holder === node)) continue;
    const ops = [del(repos.volumes.key(app, name)), ...holders.map(([node]) => del(repos.nodeVolumes.key(node, app, name)))];
    if (await repos.commit([unchanged(repos.volumes.key(app, name), volume.revision)], ops)) settled.push(volumeKey(app, name));
  }
  return settled;
}
