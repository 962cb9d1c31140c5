import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Store, WatchEvent } from '../../src/store/types.js';
import { eventually, uniqueSuffix } from '../../harness/services.js';

/** One suite for every store backend: what the rest of Eru relies on. */
export function storeConformance(backend: string, open: () => Promise<Store>): void {
  describe(`store conformance: ${backend}`, () => {
    let store: Store;
    let ns: string;
    before(async () => {
      store = await open();
      ns = `/test-${uniqueSuffix()}/`;
    });
    after(async () => store.close());

    it('puts and gets with revisions that only go up', async () => {
      const r1 = await store.put(`${ns}a`, '1');
      const r2 = await store.put(`${ns}a`, '2');
      assert.ok(r2 > r1);
      const kv = await store.get(`${ns}a`);
      assert.deepEqual(
        { value: kv?.value, create: kv?.createRevision, mod: kv?.modRevision, version: kv?.version },
        { value: '2', create: r1, mod: r2, version: 2 },
      );
      assert.equal(await store.get(`${ns}missing`), null);
    });

    it('ranges by prefix in key order, and only that prefix', async () => {
      for (const key of ['p/c', 'p/a', 'p/b', 'p0', 'q/a']) await store.put(`${ns}${key}`, key);
      const keys = (await store.range(`${ns}p/`)).map((kv) => kv.key.slice(ns.length));
      assert.deepEqual(keys, ['p/a', 'p/b', 'p/c']);
    });

    it('ranges a prefix larger than a page whole and in order; only what changed after a revision; key names alone', async () => {
      const keys = Array.from({ length: 2500 }, (_, i) => `${ns}big/${String(i).padStart(5, '0')}`);
      for (let i = 0; i < keys.length; i += 100) await store.txn([], keys.slice(i, i + 100).map((key) => ({ type: 'put' as const, key, value: 'x'.repeat(100) })));
      const all = await store.range(`${ns}big/`, { pageSize: 300 });
      assert.deepEqual(all.map((kv) => kv.key), keys);
      const mark = all.at(-1)!.modRevision;
      await store.put(keys[7]!, 'later');
      await store.put(keys[2001]!, 'later');
      assert.deepEqual((await store.range(`${ns}big/`, { after: mark, pageSize: 300 })).map((kv) => [kv.key, kv.value]), [[keys[7], 'later'], [keys[2001], 'later']]);
      assert.deepEqual(await store.rangeKeys(`${ns}big/`), keys);
    });

    it('reads a large prefix page by page: at most `limit` keys after the last one read, all of them once', async () => {
      const keys = Array.from({ length: 1250 }, (_, i) => `${ns}pages/${String(i).padStart(5, '0')}`);
      for (let i = 0; i < keys.length; i += 100) await store.txn([], keys.slice(i, i + 100).map((key) => ({ type: 'put' as const, key, value: 'y' })));
      const read: string[] = [];
      let after: string | undefined;
      let pages = 0;
      for (;;) {
        const page = await store.range(`${ns}pages/`, { limit: 400, pageSize: 150, ...(after !== undefined ? { startAfter: after } : {}) });
        assert.ok(page.length <= 400, `a page of ${page.length}`);
        if (page.length === 0) break;
        pages++;
        read.push(...page.map((kv) => kv.key));
        after = page.at(-1)!.key;
      }
      assert.equal(pages, 4);
      assert.deepEqual(read, keys);
      // A key before the prefix starts from its beginning; one past its end reads nothing.
      assert.equal((await store.range(`${ns}pages/`, { startAfter: `${ns}a`, limit: 3 })).length, 3);
      assert.deepEqual(await store.range(`${ns}pages/`, { startAfter: `${ns}pages/99999`, limit: 3 }), []);
    });

    it('reads several keys at once, in the order asked, null where there is none (more than one transaction holds)', async () => {
      const keys = Array.from({ length: 300 }, (_, i) => `${ns}many/${String(i).padStart(3, '0')}`);
      const present = keys.filter((_, i) => i % 3 !== 0);
      for (let i = 0; i < present.length; i += 100) await store.txn([], present.slice(i, i + 100).map((key) => ({ type: 'put' as const, key, value: key.slice(-3) })));
      const asked = [...keys].reverse();
      const found = await store.getMany(asked);
      assert.equal(found.length, 300);
      assert.deepEqual(found.map((kv) => kv?.value ?? null), asked.map((key) => (Number(key.slice(-3)) % 3 === 0 ? null : key.slice(-3))));
      assert.deepEqual(await store.getMany([]), []);
    });

    it('deletes, saying whether the key was there', async () => {
      await store.put(`${ns}d`, 'x');
      assert.equal(await store.delete(`${ns}d`), true);
      assert.equal(await store.delete(`${ns}d`), false);
      assert.equal(await store.get(`${ns}d`), null);
    });

    it('creates a key only when it is absent (compare on revision 0)', async () => {
      const first = await store.txn([{ key: `${ns}once`, modRevision: 0 }], [{ type: 'put', key: `${ns}once`, value: 'first' }]);
      const second = await store.txn([{ key: `${ns}once`, modRevision: 0 }], [{ type: 'put', key: `${ns}once`, value: 'second' }]);
      assert.equal(first.succeeded, true);
      assert.equal(second.succeeded, false);
      assert.equal((await store.get(`${ns}once`))?.value, 'first');
    });

    it('a transaction loses cleanly to a concurrent writer: none of its writes land', async () => {
      await store.put(`${ns}ledger`, 'v1');
      const seen = (await store.get(`${ns}ledger`))!;
      await store.put(`${ns}ledger`, 'v2-by-someone-else');
      const result = await store.txn(
        [{ key: `${ns}ledger`, modRevision: seen.modRevision }],
        [
          { type: 'put', key: `${ns}ledger`, value: 'v2-mine' },
          { type: 'put', key: `${ns}intent`, value: 'mine' },
          { type: 'delete', key: `${ns}ledger-extra` },
        ],
      );
      assert.equal(result.succeeded, false);
      assert.equal((await store.get(`${ns}ledger`))?.value, 'v2-by-someone-else');
      assert.equal(await store.get(`${ns}intent`), null);
    });

    it('applies every write of a winning transaction at one revision', async () => {
      await store.put(`${ns}t/gone`, 'x');
      const cur = (await store.get(`${ns}t/gone`))!;
      const result = await store.txn(
        [{ key: `${ns}t/gone`, modRevision: cur.modRevision }],
        [
          { type: 'put', key: `${ns}t/one`, value: '1' },
          { type: 'put', key: `${ns}t/two`, value: '2' },
          { type: 'delete', key: `${ns}t/gone` },
        ],
      );
      assert.equal(result.succeeded, true);
      const kvs = await store.range(`${ns}t/`);
      assert.deepEqual(kvs.map((kv) => [kv.key.slice(ns.length), kv.modRevision]), [
        ['t/one', result.revision],
        ['t/two', result.revision],
      ]);
    });

    it('of many concurrent compare-and-set increments, each lands exactly once: the losers retry', async () => {
      const writers = 20;
      await store.put(`${ns}counter`, '0');
      // Every writer reads before any writes, so all first attempts compare against the same revision.
      let arrived = 0;
      let release!: () => void;
      const allRead = new Promise<void>((resolve) => (release = resolve));
      const increment = async (): Promise<number> => {
        for (let attempt = 1; ; attempt++) {
          const kv = (await store.get(`${ns}counter`))!;
          if (attempt === 1 && ++arrived === writers) release();
          if (attempt === 1) await allRead;
          const next = String(Number(kv.value) + 1);
          const result = await store.txn([{ key: kv.key, modRevision: kv.modRevision }], [{ type: 'put', key: kv.key, value: next }]);
          if (result.succeeded) return attempt;
        }
      };
      const attempts = await Promise.all(Array.from({ length: writers }, increment));
      assert.equal((await store.get(`${ns}counter`))?.value, String(writers), 'every increment counted once');
      assert.equal(attempts.filter((a) => a === 1).length, 1, 'of the writers that read the same revision, exactly one wins at once');
      assert.ok(attempts.reduce((sum, a) => sum + a, 0) > writers, `the others retried: ${attempts.join(',')}`);
    });

    it('watches deliver every change under the prefix, in order, including deletes and transactions', async () => {
      const events: WatchEvent[] = [];
      const watch = await store.watch(`${ns}w/`, (event) => events.push(event));
      const expected: Array<[string, string, string | undefined]> = [];
      for (let i = 0; i < 50; i++) {
        await store.put(`${ns}w/${i % 5}`, String(i));
        expected.push(['put', `w/${i % 5}`, String(i)]);
      }
      await store.put(`${ns}elsewhere`, 'not watched');
      await store.delete(`${ns}w/0`);
      expected.push(['delete', 'w/0', undefined]);
      await store.txn([], [
        { type: 'put', key: `${ns}w/x`, value: 'x' },
        { type: 'delete', key: `${ns}w/1` },
      ]);
      expected.push(['put', 'w/x', 'x'], ['delete', 'w/1', undefined]);
      await eventually(async () => events.length >= expected.length, 10_000, 'watch events');
      await watch.close();
      assert.deepEqual(
        events.map((e) => [e.type, e.key.slice(ns.length), e.value]),
        expected,
      );
      for (let i = 1; i < events.length; i++) assert.ok(events[i]!.revision >= events[i - 1]!.revision);
      await store.put(`${ns}w/after-close`, 'x');
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(events.length, expected.length, 'no events after close');
    });

    it('keys bound to a lease vanish when it expires, and the watch sees it', async () => {
      const lease = await store.grantLease(1);
      const events: WatchEvent[] = [];
      const watch = await store.watch(`${ns}l/`, (event) => events.push(event));
      await store.put(`${ns}l/alive`, 'yes', { lease: lease.id });
      assert.equal((await store.get(`${ns}l/alive`))?.lease, lease.id);
      await eventually(async () => (await store.get(`${ns}l/alive`)) === null, 10_000, 'the leased key to expire');
      await eventually(async () => events.some((e) => e.type === 'delete'), 5_000, 'the delete event');
      await watch.close();
      await assert.rejects(lease.keepAlive(), /expired|not found|lease/i);
      await assert.rejects(store.put(`${ns}l/late`, 'x', { lease: lease.id }));
    });

    it('keep-alive holds a lease past its TTL; revoke ends it at once', async () => {
      const lease = await store.grantLease(1);
      await store.put(`${ns}k/held`, 'yes', { lease: lease.id });
      const until = Date.now() + 3_500;
      while (Date.now() < until) {
        await lease.keepAlive();
        await new Promise((r) => setTimeout(r, 300));
      }
      assert.equal((await store.get(`${ns}k/held`))?.value, 'yes');
      await lease.revoke();
      await eventually(async () => (await store.get(`${ns}k/held`)) === null, 2_000, 'the revoked key to go');
    });
  });
}
