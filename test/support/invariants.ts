import assert from 'node:assert/strict';
import type { Intent, Workload } from '../../src/core/model/workload.js';
import type { NodeResources } from '../../src/scheduler/types.js';

/**
 * The ledger of every node equals its full size less what workloads and deploys under way hold,
 * core by core; and no core held whole by one workload is held by anyone else.
 */
export function checkLedgers(
  sharebase: number,
  ledgers: Map<string, NodeResources>,
  workloads: Workload[],
  intents: Intent[],
): void {
  const holders = [...workloads, ...intents.filter((i) => i.kind === 'deploy').flatMap((i) => i.workloads)];
  for (const [node, ledger] of ledgers) {
    const held = new Map<string, number>();
    const owners = new Map<string, string[]>();
    const fragments: Record<string, number> = {};
    let unbound = 0;
    for (const w of holders.filter((h) => h.node === node)) {
      if (!w.placement.cpuset) unbound += w.placement.pieces;
      for (const [core, pieces] of Object.entries(w.placement.cpuset ?? {})) {
        held.set(core, (held.get(core) ?? 0) + pieces);
        owners.set(core, [...(owners.get(core) ?? []), `${w.id}:${pieces}`]);
        if (pieces < sharebase) fragments[core] = (fragments[core] ?? 0) + 1;
      }
    }
    assert.deepEqual(ledger.shared, fragments, `node ${node}: shared cores (core → fragments) differ from the holders'`);
    for (const [core, free] of Object.entries(ledger.cpus)) {
      assert.equal(free, sharebase - (held.get(core) ?? 0), `node ${node} core ${core}: ledger says ${free} free, holders ${owners.get(core)?.join(' ') ?? 'none'}`);
      const list = owners.get(core) ?? [];
      if (list.some((o) => o.endsWith(`:${sharebase}`))) assert.equal(list.length, 1, `core ${core} exclusive but shared: ${list.join(' ')}`);
    }
    assert.equal(ledger.unboundPieces, unbound, `node ${node}: unbound pieces`);
  }
}
