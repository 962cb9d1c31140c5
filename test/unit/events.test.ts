import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { event } from '../../src/bus/index.js';
import { ChannelChain, jsonMessages } from '../../src/bus/chain.js';
import { EventFilterSchema, formatPosition, isAfter, type EruEvent } from '../../src/contract/events.js';
import { EventFeed } from '../../src/core/events/feed.js';
import { EventLog } from '../../src/core/events/log.js';
import { pruneEventLog } from '../../src/core/events/prune.js';
import { Repositories } from '../../src/core/repositories.js';
import { openStore } from '../../src/store/index.js';
import { eventually } from '../../harness/services.js';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

describe('the event log', () => {
  const dir = mkdtempSync(join(tmpdir(), 'eru-events-'));
  const store = openStore(`embedded:${join(dir, 'eru.db')}`);
  const repos = new Repositories(store);
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('positions: REVISION.INDEX or a revision (after all of it), ordered by revision then index', () => {
    const since = (text: string) => EventFilterSchema.parse({ since: text }).since!;
    assert.deepEqual(since('12.3'), { revision: 12, index: 3 });
    assert.equal(formatPosition(since('12')), '12');
    assert.equal(formatPosition(since('12.3')), '12.3');
    assert.ok(isAfter({ revision: 13, index: 0 }, since('12')) && !isAfter({ revision: 12, index: 9 }, since('12')));
    assert.ok(isAfter({ revision: 12, index: 4 }, since('12.3')) && !isAfter({ revision: 12, index: 3 }, since('12.3')));
    assert.throws(() => since('12.x'), /REVISION or REVISION\.INDEX/);
  });

  it('two cores logging at once: a follower from any position gets every later event once, in the order of the history, and live ones after', async () => {
    const logs = [new EventLog(repos, 'core-a', quiet), new EventLog(repos, 'core-b', quiet)];
    const feed = new EventFeed(repos);
    const live: EruEvent[] = [];
    const liveFollow = await feed.follow(undefined, (e) => live.push(e));
    for (let i = 0; i < 300; i++) logs[i % 2]!.append(event('pod.created', { pod: `p${i}` }));
    await Promise.all(logs.map((l) => l.flushed()));
    await eventually(async () => live.length === 300, 5000, 'every event live');
    const positions = live.map((e) => ({ revision: e.revision!, index: e.index! }));
    for (let i = 1; i < positions.length; i++) assert.ok(isAfter(positions[i]!, positions[i - 1]!), `positions only go up at ${i}`);
    // Each core's own events in the order it published them.
    for (const parity of [0, 1]) {
      const mine = live.map((e) => Number(e.pod!.slice(1))).filter((n) => n % 2 === parity);
      assert.deepEqual(mine, [...mine].sort((a, b) => a - b));
    }
    // From the 100th: the 200 after it, then live ones written while replaying, none twice.
    const from = positions[99]!;
    const replayed: EruEvent[] = [];
    const writing = (async () => {
      for (let i = 300; i < 400; i++) logs[i % 2]!.append(event('pod.created', { pod: `p${i}` }));
      await Promise.all(logs.map((l) => l.flushed()));
    })();
    const following = await feed.follow(from, (e) => replayed.push(e));
    await writing;
    await eventually(async () => live.length === 400 && replayed.length >= 300, 5000, 'the replay and the new ones');
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(replayed.map((e) => e.id), live.slice(100).map((e) => e.id));
    following.close();
    liveFollow.close();
    await feed.close();
  });

  it('pruned (by the time in the keys): a replay from before the floor is refused with the floor; from after it, it works', async () => {
    const log = new EventLog(repos, 'core-c', quiet);
    const feed = new EventFeed(repos);
    for (let i = 0; i < 5; i++) log.append(event('node.added', { node: `n${i}` }));
    await log.flushed();
    const dropped = await pruneEventLog(repos, 60_000, Date.now() + 120_000);
    assert.ok(dropped >= 1, `dropped ${dropped} batch(es)`);
    assert.deepEqual(await repos.eventLog.batches(), [], 'every batch older than the retention went');
    const floor = (await repos.eventLog.floor())!;
    await assert.rejects(feed.follow({ revision: 1, index: 0 }, () => undefined), (e: { code?: string; message: string }) => e.code === 'EVENTS_PRUNED' && e.message.includes(formatPosition(floor)));
    const later: EruEvent[] = [];
    const following = await feed.follow(floor, (e) => later.push(e));
    log.append(event('node.added', { node: 'after' }));
    await eventually(async () => later.length === 1, 5000, 'the event after the prune');
    following.close();
    await feed.close();
  });

  it('the bus chain: each message names the last one sent on its channel; a failed send leaves the chain as it was', () => {
    const chain = new ChannelChain();
    const at = (revision: number, app?: string): EruEvent => ({ ...event('workload.created', { pod: 'p', ...(app ? { app } : {}) }), revision, index: 0 });
    const first = chain.prepare([at(10, 'a')]);
    assert.deepEqual(first.messages.map(([, m]) => m.previous), [undefined, undefined, undefined]);
    first.sent();
    const failed = chain.prepare([at(11, 'b')]);
    assert.deepEqual(Object.fromEntries(failed.messages.map(([c, m]) => [c, m.previous])), { 'eru:events:all': '10.0', 'eru:events:app:b': undefined, 'eru:events:pod:p': '10.0' });
    // Not sent: tried again, the same previous.
    const again = chain.prepare([at(11, 'b')]);
    assert.deepEqual(again.messages.map(([, m]) => m.previous), ['10.0', undefined, '10.0']);
    again.sent();
    assert.deepEqual(chain.prepare([at(12, 'a')]).messages.map(([, m]) => m.previous), ['11.0', '10.0', '11.0']);
    // Several at once (one publish): each names the one before it, the earlier ones of the same batch included.
    const batch = chain.prepare([at(13, 'a'), at(14, 'b'), at(15, 'a')]);
    assert.deepEqual(batch.messages.map(([c, m]) => `${c.split(':').pop()}<${m.previous}`), ['all<11.0', 'a<10.0', 'p<11.0', 'all<13.0', 'b<11.0', 'p<13.0', 'all<14.0', 'a<13.0', 'p<14.0']);
    batch.sent();
    assert.deepEqual(chain.prepare([at(16, 'b')]).messages.map(([, m]) => m.previous), ['15.0', '14.0', '15.0']);
    // As text (Redis): each message parses to the event with its previous, serialized once per event.
    const events = [at(17, 'a'), at(18, 'b')];
    const objects = chain.prepare(events).messages;
    const texts = chain.prepare(events, jsonMessages()).messages;
    assert.deepEqual(texts.map(([c, text]) => [c, JSON.parse(text) as unknown]), objects.map(([c, m]) => [c, m]));
    assert.equal(texts.filter(([, text]) => text.startsWith('{"previous":')).length, 6, 'each names the one before on its channel');
  });
});
