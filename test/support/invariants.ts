import assert from 'node:assert/strict';
import type { NodeResources } from '../../src/model/resources.js';
import type { Intent } from '../../src/model/intent.js';
import type { Workload } from '../../src/model/workload.js';
import { ledgerDrift } from '../../src/scheduler/invariants.js';

/** Asserts the ledger invariant (scheduler/invariants.ts) on every node given. */
export function checkLedgers(sharebase: number, ledgers: Map<string, NodeResources>, workloads: Workload[], intents: Intent[]): void {
  const holders = [...workloads, ...intents.filter((i) => i.kind === 'deploy').flatMap((i) => i.workloads)];
  for (const [node, ledger] of ledgers) assert.deepEqual(ledgerDrift(node, ledger, holders, { sharebase }), [], `node ${node}`);
}
