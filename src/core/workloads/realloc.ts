import type { ResizeBody } from '../../contract/workloads.js';
import { cpuFor, sharedPool } from '../../engine/cpu.js';
import { engineMessage } from '../../engine/engines.js';
import { EruError, ErrorCode, internal, notFound } from '../../lib/errors.js';
import type { Workload } from '../../model/workload.js';
import { planRealloc } from '../../scheduler/index.js';
import type { CoreContext } from '../context.js';
import { reapplySharedPool } from '../cpu/shared-pool.js';
import { combine } from '../reservations/index.js';
import { moveCores, readLedgers } from '../reservations/ledger.js';
import { put, unchanged, type Versioned } from '../repositories.js';
import { optimistic } from '../retry.js';
import { heldWorkloads } from './held.js';

/**
 * Resizes a running workload in place, without a restart: a new plan on its node (its own pieces
 * counted as its own, its cores kept where it can), the ledger and the record in one transaction
 * guarded by both revisions, then `docker update` of cpuset, shares, quota and memory. If Docker
 * refuses, the ledger and the record go back as they were.
 */
export async function reallocWorkload(context: CoreContext, find: () => Promise<Versioned<Workload>>, body: ResizeBody): Promise<Workload> {
  const { repos, engines } = context;
  const changed = await optimistic('resizing a workload', async () => {
    const { value: workload, revision } = await find();
    const ledgers = await readLedgers(repos, [workload.node]);
    const ledger = ledgers.get(workload.node);
    const node = (await repos.nodes.get(workload.node))?.value;
    const pod = (await repos.pods.get(workload.pod))?.value;
    if (!ledger || !node || !pod) throw internal(`node ${workload.node} of ${workload.id} lacks its ledger or pod`);
    const request = { cpu: body.cpu ?? workload.cpu, memory: body.memory ?? workload.placement.memory, bind: body.bind ?? workload.bind };
    const { placement } = planRealloc(workload.node, ledger.value, workload.placement, request, pod);
    const others = (await heldWorkloads(repos)).filter((h) => h.holdsPieces && h.workload.node === workload.node && h.workload.id !== workload.id).map((h) => h.workload.placement);
    const next: Workload = { ...workload, cpu: request.cpu, memory: request.memory, bind: request.bind, placement, cpuSettings: cpuFor(placement, pod.sharebase, sharedPool(node.cpus, others, pod.sharebase)) };
    const workloadKey = repos.workloads.key(workload.id);
    const part = combine({ compares: [unchanged(workloadKey, revision)], ops: [put(workloadKey, next)] }, moveCores(repos, ledgers, pod.sharebase, workload, next));
    const at = await repos.commitAt(part.compares, part.ops);
    return at === null ? undefined : { before: workload, next, node, revision: at };
  });
  const { before, next, node } = changed;
  const settings = next.cpuSettings;
  try {
    await engines.get(node).getContainer(next.id).update({
      CpusetCpus: settings.cpusetCpus,
      CpuShares: settings.cpuShares,
      // A quota still held back for the startup boost stays off; -1 takes a quota away.
      CpuQuota: settings.cpuQuota > 0 && (before.quotaSince !== undefined || before.cpuSettings.cpuQuota <= 0) ? settings.cpuQuota : -1,
      ...(settings.cpuQuota > 0 ? { CpuPeriod: settings.cpuPeriod } : {}),
      ...(next.placement.memory > 0 ? { Memory: next.placement.memory, MemorySwap: next.placement.memory } : {}),
    });
  } catch (error) {
    await undo(context, changed);
    throw new EruError(ErrorCode.ENGINE_ERROR, `resizing ${next.id} on ${next.node}: ${engineMessage(error)}; nothing changed`);
  }
  if (next.quotaSince === undefined && settings.cpuQuota > 0 && before.cpuSettings.cpuQuota <= 0) await repos.commit([], [put(repos.workloads.key(next.id), { ...next, quotaSince: new Date().toISOString() })]);
  await reapplySharedPool(context, new Map([[node.name, node]]), new Set([node.name]));
  return (await repos.workloads.get(next.id))?.value ?? next;
}

/** Puts the record and the ledger back (the new plan given back, the old one taken again). */
async function undo(context: CoreContext, changed: { before: Workload; next: Workload }): Promise<void> {
  const { repos } = context;
  await optimistic('undoing a resize', async () => {
    const current = await repos.workloads.get(changed.next.id);
    if (!current) throw notFound('workload', changed.next.id);
    const ledgers = await readLedgers(repos, [changed.next.node]);
    const pod = await repos.pods.get(changed.next.pod);
    if (!ledgers.has(changed.next.node) || !pod) return true;
    const key = repos.workloads.key(changed.next.id);
    const part = combine({ compares: [unchanged(key, current.revision)], ops: [put(key, changed.before)] }, moveCores(repos, ledgers, pod.value.sharebase, changed.next, changed.before));
    return (await repos.commit(part.compares, part.ops)) ? true : undefined;
  });
}
