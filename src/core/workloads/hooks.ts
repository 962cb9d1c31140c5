import type Docker from 'dockerode';
import type { DeployEvent } from '../../contract/events.js';
import { execCommand } from '../../engine/exec.js';
import type { Workload } from '../../model/workload.js';

export type HookName = 'after_start' | 'before_stop';

/**
 * Runs a workload's hooks of one kind inside its container, one after another through exec (as the
 * container's user), stopping at the first that fails. Each is reported through `emit`.
 * Returns why it failed, or null when every hook passed (or there are none).
 */
export async function runHooks(docker: Docker, workload: Workload, hook: HookName, emit: (event: DeployEvent) => void = () => undefined): Promise<string | null> {
  const commands = hook === 'after_start' ? workload.hooks?.afterStart : workload.hooks?.beforeStop;
  for (const command of commands ?? []) {
    const result = await execCommand(docker, workload.id, ['sh', '-c', command]);
    const ok = result.exitCode === 0;
    emit({ type: 'hook', id: workload.id, node: workload.node, hook, ok, exitCode: result.exitCode, output: result.output.slice(-1024) });
    if (!ok) return `${hook} hook ${JSON.stringify(command)} of ${workload.id} exited ${result.exitCode}: ${result.output.trim().split('\n').slice(-3).join(' / ')}`;
  }
  return null;
}
