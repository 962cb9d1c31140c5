import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { del, put, Repositories } from '../../src/core/repositories.js';
import { heldWorkloads } from '../../src/core/workloads/held.js';
import { IntentSchema } from '../../src/model/intent.js';
import { openStore } from '../../src/store/index.js';
import type { RangeOptions, Store } from '../../src/store/types.js';
import { tempDir } from '../../harness/core.js';
import { instance } from '../support/workloads.js';

/**
 * What holds a node's pieces is read in two ranges (intents, records) while deploys commit between
 * them (an intent deleted and its records written in one transaction). On the real embedded store, a
 * commit made exactly between the two reads: the instances are seen, once — not in neither, which
 * made `eru check` report a ledger drift that was not there, and `--repair` recompute it without them.
 */
describe('the holders of pieces, read while a deploy commits', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let store: Store;

  before(async () => {
    dir = await tempDir('eru-held-');
    store = openStore(`embedded:${dir.path}/eru.db`);
  });
  after(async () => {
    await store?.close();
    await dir?.remove();
  });

  it('a commit between the two reads: each instance is held once', async () => {
    const repos = new Repositories(store);
    const workloads = [instance('web-a', 'n1'), instance('web-b', 'n1')];
    const intent = IntentSchema.parse({ id: 'deploy-1', kind: 'deploy', owner: 'core-1', createdAt: new Date().toISOString(), workloads });
    await repos.commit([], [put(repos.intents.key(intent.id), intent)]);
    let reads = 0;
    // The store as the check sees it: the deploy commits right after the first of the two ranges.
    const racing: Store = Object.create(store, {
      range: {
        value: async (prefix: string, options?: RangeOptions) => {
          const found = await store.range(prefix, options);
          if ((prefix === '/eru/intents/' || prefix === '/eru/workloads/') && ++reads === 1) {
            const committed = await repos.commit([], [del(repos.intents.key(intent.id)), ...workloads.map((w) => put(repos.workloads.key(w.id), w))]);
            assert.ok(committed);
          }
          return found;
        },
      },
    }) as Store;
    const held = await heldWorkloads(new Repositories(racing));
    assert.equal(reads, 2, 'read in two ranges, the commit between them');
    assert.deepEqual(held.filter((h) => h.holdsPieces).map((h) => h.workload.id).sort(), ['web-a', 'web-b']);
  });
});
