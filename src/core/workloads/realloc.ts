import type { ResizeBody } from '../../contract/workloads.js';
import { dockerCpu, sharedPool } from '../../engine/cpu.js';
import { engineMessage } from '../../engine/engines.js';
import { EruError, ErrorCode, internal, notFound } from '../../lib/errors.js';
import type { Workload } from '../../model/workload.js';
import { applyPlacement, cloneResources, planRealloc, releasePlacement } from '../../scheduler/index.js';
import type { CoreContext } from '../context.js';
import { reapplySharedPool } from '../deploy/shared-pool.js';
import { put, unchanged, type Versioned } from '../repositories.js';
import { optimistic } from '../retry.js';

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
    const ledger = await repos.ledgers.get(workload.node);
    const node = (await repos.nodes.get(workload.node))?.value;
    const pod = (await repos.pods.get(workload.pod))?.value;
    if (!ledger || !node || !pod) throw internal(`node ${workload.node} of ${workload.id} lacks its ledger or pod`);
    const request = { cpu: body.cpu ?? workload.cpu, memory: body.memory ?? workload.placement.memory, bind: body.bind ?? workload.bind };
    const { placement, resources } = planRealloc(workload.node, ledger.value, workload.placement, request, pod);
    const others = (await repos.workloads.list()).filter((w) => w.value.node === workload.node && w.value.id !== workload.id).map((w) => w.value.placement);
    const cpu = dockerCpu(placement, pod.sharebase, sharedPool(node.cpus, [...others, placement], pod.sharebase));
    const next: Workload = {
      ...workload,
      cpu: request.cpu,
      memory: request.memory,
      bind: request.bind,
      placement,
      cpusetCpus: cpu.cpusetCpus,
      cpuShares: cpu.cpuShares,
      cpuQuota: cpu.cpuQuota,
    };
    const workloadKey = repos.workloads.key(workload.id);
    const ledgerKey = repos.ledgers.key(workload.node);
    const at = await repos.commitAt([unchanged(workloadKey, revision), unchanged(ledgerKey, ledger.revision)], [put(workloadKey, next), put(ledgerKey, resources)]);
    return at === null ? undefined : { before: workload, ledgerBefore: ledger.value, next, node, revision: at };
  });
  const { before, next, node } = changed;
  try {
    await engines.get(node).getContainer(next.id).update({
      CpusetCpus: next.cpusetCpus,
      CpuShares: next.cpuShares,
      // A quota still held back for the startup boost stays off; -1 takes a quota away.
      CpuQuota: next.cpuQuota > 0 && (before.quotaSince !== undefined || before.cpuQuota <= 0) ? next.cpuQuota : -1,
      ...(next.cpuQuota > 0 ? { CpuPeriod: 100_000 } : {}),
      ...(next.placement.memory > 0 ? { Memory: next.placement.memory, MemorySwap: next.placement.memory } : {}),
    });
  } catch (error) {
    await undo(context, changed);
    throw new EruError(ErrorCode.ENGINE_ERROR, `resizing ${next.id} on ${next.node}: ${engineMessage(error)}; nothing changed`);
  }
  if (next.quotaSince === undefined && next.cpuQuota > 0 && before.cpuQuota <= 0) await repos.commit([], [put(repos.workloads.key(next.id), { ...next, quotaSince: new Date().toISOString() })]);
  await reapplySharedPool(context, new Map([[node.name, node]]), new Set([node.name]));
  return (await repos.workloads.get(next.id))?.value ?? next;
}

/** Puts the record and the ledger back (the ledger by giving the new plan back and taking the old one). */
async function undo(context: CoreContext, changed: { before: Workload; next: Workload; revision: number }): Promise<void> {
  const { repos } = context;
  await optimistic('undoing a resize', async () => {
    const current = await repos.workloads.get(changed.next.id);
    if (!current) throw notFound('workload', changed.next.id);
    const ledger = await repos.ledgers.get(changed.next.node);
    const pod = await repos.pods.get(changed.next.pod);
    if (!ledger || !pod) return true;
    const restored = cloneResources(ledger.value);
    releasePlacement(restored, changed.next.placement, pod.value.sharebase);
    applyPlacement(restored, changed.before.placement, pod.value.sharebase);
    const done = await repos.commit(
      [unchanged(repos.workloads.key(changed.next.id), current.revision), unchanged(repos.ledgers.key(changed.next.node), ledger.revision)],
      [put(repos.workloads.key(changed.next.id), changed.before), put(repos.ledgers.key(changed.next.node), restored)],
    );
    return done ? true : undefined;
  });
}
