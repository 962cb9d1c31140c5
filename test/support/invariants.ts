import assert from 'node:assert/strict';
import type { NodeResources } from '../../src/model/resources.js';
import type { Intent } from '../../src/model/intent.js';
import type { Workload } from '../../src/model/workload.js';
import { ledgerDrift } from '../../src/scheduler/invariants.js';

/** Asserts the ledger invariant (scheduler/invariants.ts) on every node given. */
export function checkLedgers(sharebase: number, ledgers: Map<string, NodeResources>, workloads: Workload[], intents: Intent[]): void {
  // Deploys and jobs under way hold their pieces; a removal gave them back when it began.
  const holders = [...workloads, ...intents.filter((i) => i.kind === 'deploy' || i.kind === 'job').flatMap((i) => i.workloads)];
  for (const [node, ledger] of ledgers) assert.deepEqual(ledgerDrift(node, ledger, holders, { sharebase }), [], `node ${node}`);
}
