import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { event } from '../../src/bus/index.js';
import type { Bus } from '../../src/bus/types.js';
import type { EruEvent } from '../../src/contract/events.js';
import { eventually, uniqueSuffix } from '../../harness/services.js';

/** One suite for every bus backend. */
export function busConformance(backend: string, open: () => Promise<Bus>): void {
  describe(`bus conformance: ${backend}`, () => {
    let publisher: Bus;
    let subscriberBus: Bus;
    before(async () => {
      publisher = await open();
      subscriberBus = backend === 'memory' ? publisher : await open();
    });
    after(async () => {
      await publisher.close();
      if (subscriberBus !== publisher) await subscriberBus.close();
    });

    it('delivers every event of a channel once, in publish order', async () => {
      const app = `app-${uniqueSuffix()}`;
      const seen: EruEvent[] = [];
      const subscription = await subscriberBus.subscribe({ kind: 'app', app }, (e) => seen.push(e));
      const sent = Array.from({ length: 200 }, (_, i) => event('workload.status', { app, pod: 'p', workload: `w${i}`, data: { i } }));
      for (const e of sent) await publisher.publish(e);
      await eventually(async () => seen.length >= sent.length, 10_000, 'all events');
      await new Promise((r) => setTimeout(r, 100));
      await subscription.close();
      assert.deepEqual(seen.map((e) => e.id), sent.map((e) => e.id));
    });

    it('routes by channel: all sees everything, an app or pod channel only its own', async () => {
      const suffix = uniqueSuffix();
      const [appA, appB, podX] = [`a-${suffix}`, `b-${suffix}`, `x-${suffix}`];
      const all: string[] = [];
      const onlyA: string[] = [];
      const onlyX: string[] = [];
      const subs = [
        await subscriberBus.subscribe({ kind: 'all' }, (e) => e.app?.endsWith(suffix) && all.push(e.id)),
        await subscriberBus.subscribe({ kind: 'app', app: appA }, (e) => onlyA.push(e.id)),
        await subscriberBus.subscribe({ kind: 'pod', pod: podX }, (e) => onlyX.push(e.id)),
      ];
      const e1 = event('workload.created', { app: appA, pod: podX });
      const e2 = event('workload.created', { app: appB, pod: podX });
      const e3 = event('workload.created', { app: appB, pod: `other-${suffix}` });
      for (const e of [e1, e2, e3]) await publisher.publish(e);
      await eventually(async () => all.length >= 3, 5_000, 'the all channel');
      await new Promise((r) => setTimeout(r, 100));
      for (const s of subs) await s.close();
      assert.deepEqual(all, [e1.id, e2.id, e3.id]);
      assert.deepEqual(onlyA, [e1.id]);
      assert.deepEqual(onlyX, [e1.id, e2.id]);
    });

    it('stops delivering after a subscription closes; others on the channel go on', async () => {
      const app = `c-${uniqueSuffix()}`;
      const first: string[] = [];
      const second: string[] = [];
      const s1 = await subscriberBus.subscribe({ kind: 'app', app }, (e) => first.push(e.id));
      const s2 = await subscriberBus.subscribe({ kind: 'app', app }, (e) => second.push(e.id));
      const before = event('pod.created', { app });
      await publisher.publish(before);
      await eventually(async () => first.length === 1 && second.length === 1, 5_000, 'the first event');
      await s1.close();
      const later = event('pod.created', { app });
      await publisher.publish(later);
      await eventually(async () => second.length === 2, 5_000, 'the second event');
      await new Promise((r) => setTimeout(r, 100));
      await s2.close();
      assert.deepEqual(first, [before.id]);
      assert.deepEqual(second, [before.id, later.id]);
    });
  });
}
