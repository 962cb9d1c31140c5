import { workloadState, type WorkloadKind, type WorkloadState } from '../../contract/states.js';
import type { WorkloadStatus } from '../../model/status.js';
import type { Intent } from '../../model/intent.js';
import type { Workload } from '../../model/workload.js';
import type { Repositories } from '../repositories.js';

/**
 * Every container Eru has made or is making, with what the core knows of it: recorded workloads, and
 * those still only in an intent — a deploy's instances being created, a job while it runs (a job lives
 * in its intent alone), a removal until its container is gone. `eru ps`, the pod map and the ledger
 * check all read this one list, so a container that holds pieces is never missing from any of them.
 */
export interface HeldWorkload {
  workload: Workload;
  kind: WorkloadKind;
  /** recorded: the agent reports on it; otherwise what its intent is doing. */
  phase: 'recorded' | 'creating' | 'running' | 'removing';
  /** It holds cores and memory on its node's ledger (a removal gave them back when it began). */
  holdsPieces: boolean;
}

export async function heldWorkloads(repos: Repositories): Promise<HeldWorkload[]> {
  // Intents first, records second: a deploy that commits between the two reads (its intent gone, its
  // records written, in one transaction) is then seen in both rather than in neither — which made a
  // ledger look wrong, and a repair recompute it without those instances.
  const intents = await repos.intents.list();
  const held: HeldWorkload[] = (await repos.workloads.list()).map((w) => ({ workload: w.value, kind: 'service', phase: 'recorded', holdsPieces: true }));
  return [...held, ...underWay(intents.map((i) => i.value), new Set(held.map((h) => h.workload.id)), () => true)];
}

/**
 * One page of the same, in id order: the recorded workloads whose ids start with `start`, after
 * `after`, at most `limit` of them; and those of intents whose ids fall in the same stretch. `last`
 * is the last id read; `more`, whether ids may follow it.
 */
export async function heldPage(repos: Repositories, start: string, after: string | undefined, limit: number): Promise<{ held: HeldWorkload[]; last: string | undefined; more: boolean }> {
  const intents = await repos.intents.list();
  const records = await repos.workloads.listStarting(start, { ...(after !== undefined ? { after } : {}), limit });
  const more = records.length === limit;
  const last = records.at(-1)?.name ?? after;
  const held: HeldWorkload[] = records.map((w) => ({ workload: w.value, kind: 'service', phase: 'recorded', holdsPieces: true }));
  const inStretch = (id: string): boolean => id.startsWith(start) && (after === undefined || id > after) && (!more || id <= last!);
  const all = [...held, ...underWay(intents.map((i) => i.value), new Set(held.map((h) => h.workload.id)), inStretch)];
  return { held: all.sort((a, b) => (a.workload.id < b.workload.id ? -1 : a.workload.id > b.workload.id ? 1 : 0)), last, more };
}

/** The workloads of intents not among `seen` (recorded already), each once, where `include` says. */
function underWay(intents: readonly Intent[], seen: Set<string>, include: (id: string) => boolean): HeldWorkload[] {
  const held: HeldWorkload[] = [];
  for (const intent of intents) {
    for (const workload of intent.workloads) {
      if (seen.has(workload.id) || !include(workload.id)) continue;
      seen.add(workload.id);
      if (intent.kind === 'deploy') held.push({ workload, kind: 'service', phase: 'creating', holdsPieces: true });
      else if (intent.kind === 'job') held.push({ workload, kind: 'job', phase: workload.containerId ? 'running' : 'creating', holdsPieces: true });
      else if (intent.kind === 'remove') held.push({ workload, kind: 'service', phase: 'removing', holdsPieces: false });
    }
  }
  return held;
}

/** One word for where a held workload stands: the agent's last report once recorded, else its phase. */
export function heldState(held: HeldWorkload, status: WorkloadStatus | null | undefined): WorkloadState {
  return held.phase === 'recorded' ? workloadState(status, held.workload.healthcheck !== undefined) : held.phase;
}

/** The states of recorded workloads as the store has them now: what a deploy, a scale or a replace ends with. */
export async function recordedStates(repos: Repositories, workloads: Workload[]): Promise<Record<string, WorkloadState>> {
  const statuses = await Promise.all(workloads.map(async (w) => (await repos.statuses.get(w.id))?.value));
  return Object.fromEntries(workloads.map((w, i) => [w.id, workloadState(statuses[i], w.healthcheck !== undefined)]));
}
