import { upgradeWorkload } from '../../model/workload.js';
import { heldCounts } from '../../scheduler/index.js';
import type { CoreContext } from '../context.js';
import { put, unchanged } from '../repositories.js';
import { takePorts } from '../reservations/ports.js';
import { rewriteLedger } from '../reservations/ledger.js';
import { heldWorkloads } from '../workloads/held.js';
import { resourceHolders } from './ledger-check.js';

/**
 * Start-up migrations of what older cores stored, run before the core takes work. Each is logged and
 * does nothing the second time.
 */
export async function migrate(context: CoreContext): Promise<void> {
  await migrateLedgers(context);
  await migrateCpuSettings(context);
  await indexHostPorts(context);
}

/**
 * Ledgers: shared cores used to be inferred from partly free cores, which lost a shared core once
 * fragments filled it up (and let `maxshare` be exceeded); and they did not count each service's
 * instances (`held`, which AUTO spreads by). A ledger without either gets it counted from the
 * workloads and the deploys under way on its node. The workloads are read only when a ledger needs it.
 */
export async function migrateLedgers({ repos, log }: CoreContext): Promise<number> {
  const stale = [];
  for (const { value: node } of await repos.nodes.list()) {
    const stored = await repos.ledgers.stored(node.name);
    if (stored && !('shared' in stored.value && 'held' in stored.value)) stale.push({ node, stored });
  }
  if (stale.length === 0) return 0;
  let migrated = 0;
  const pods = new Map((await repos.pods.list()).map((p) => [p.value.name, p.value]));
  const holders = await resourceHolders(repos);
  for (const { node, stored } of stale) {
    const sharebase = pods.get(node.pod)?.sharebase;
    if (sharebase === undefined) continue;
    const here = holders.filter((workload) => workload.node === node.name);
    const shared: Record<string, number> = {};
    for (const workload of here) {
      for (const [core, pieces] of Object.entries(workload.placement.cpuset ?? {})) if (pieces < sharebase) shared[core] = (shared[core] ?? 0) + 1;
    }
    const counted = { ...('shared' in stored.value ? {} : { shared }), ...('held' in stored.value ? {} : { held: heldCounts(here) }) };
    const part = rewriteLedger(repos, node.name, stored.revision, { ...stored.value, ...counted });
    if (await repos.commit(part.compares, part.ops)) {
      migrated++;
      log.info({ node: node.name, ...counted }, 'migrated the ledger of a node: counted from its workloads');
    }
  }
  return migrated;
}

/**
 * Workloads and intents stored with their Docker CPU settings as three loose fields get them as one
 * (`cpuSettings`, computed once by engine/cpu.ts). Reads already see the new shape (model/workload.ts
 * upgradeWorkload); this rewrites the store so every record is.
 */
export async function migrateCpuSettings({ repos, log }: CoreContext): Promise<number> {
  let migrated = 0;
  const old = (raw: unknown): boolean => upgradeWorkload(raw) !== raw;
  for (const record of await repos.stored.workloads()) {
    if (!old(record.value)) continue;
    if (await repos.commit([unchanged(record.key, record.revision)], [put(record.key, upgradeWorkload(record.value))])) migrated++;
  }
  for (const record of await repos.stored.intents()) {
    const workloads = (record.value.workloads ?? []) as unknown[];
    if (!workloads.some(old)) continue;
    if (await repos.commit([unchanged(record.key, record.revision)], [put(record.key, { ...record.value, workloads: workloads.map(upgradeWorkload) })])) migrated++;
  }
  if (migrated > 0) log.info({ records: migrated }, 'migrated workload records: their Docker CPU settings are kept as one field');
  return migrated;
}

/**
 * Host ports became a held resource: workloads placed before publish ports that no key holds. Each
 * gets its keys (nothing collides: Docker refused a second binding of a port on a node).
 */
export async function indexHostPorts({ repos, log }: CoreContext): Promise<number> {
  let indexed = 0;
  for (const { workload } of await heldWorkloads(repos)) {
    const part = takePorts(repos, [workload]);
    if (part.ops.length === 0) continue;
    const held = new Set((await repos.ports.list(workload.node)).map((p) => p.name));
    if (part.ops.every((op) => held.has(op.key.slice(op.key.lastIndexOf('/') + 1)))) continue;
    if (await repos.commit(part.compares, part.ops)) indexed++;
  }
  if (indexed > 0) log.info({ workloads: indexed }, 'indexed the host ports of workloads placed before ports were held');
  return indexed;
}
