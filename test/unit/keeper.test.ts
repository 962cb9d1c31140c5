import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assess, EXITED_GRACE_MS, type KeeperView } from '../../src/core/keeper/assess.js';
import { ServiceSchema, type Service } from '../../src/model/service.js';
import type { NodeStatus, WorkloadStatus } from '../../src/model/status.js';
import type { Workload } from '../../src/model/workload.js';
import { instance as aWorkload } from '../support/workloads.js';

const NOW = Date.parse('2026-11-30T12:00:00Z');
const ago = (seconds: number): string => new Date(NOW - seconds * 1000).toISOString();

function service(fields: Partial<Service> = {}): Service {
  return ServiceSchema.parse({ pod: 'p', app: 'web', entry: 'main', request: {}, spec: { pod: 'p', app: 'web', image: 'img' }, count: 4, lostAfter: 60, updatedAt: ago(600), ...fields });
}

const instance = (id: string, node: string, fields: Partial<Workload> = {}): Workload => aWorkload(id, node, { createdAt: ago(300), ...fields });

function view(instances: Workload[], fields: Partial<Pick<KeeperView, 'service' | 'exitedSince'>> & { down?: Record<string, number>; statuses?: Record<string, Partial<WorkloadStatus>> } = {}): KeeperView {
  const nodeStatuses = new Map<string, NodeStatus>();
  for (const node of new Set(instances.map((w) => w.node))) nodeStatuses.set(node, { up: true, since: ago(3600) });
  for (const [node, seconds] of Object.entries(fields.down ?? {})) nodeStatuses.set(node, { up: false, since: ago(seconds) });
  const statuses = new Map<string, WorkloadStatus>(instances.map((w) => [w.id, { id: w.id, running: true, healthy: true, ...fields.statuses?.[w.id] }]));
  return { service: fields.service ?? service(), instances, statuses, nodeStatuses, exitedSince: fields.exitedSince ?? new Map(), now: NOW };
}

const four = [instance('a1', 'a'), instance('a2', 'a'), instance('b1', 'b'), instance('b2', 'b')];

describe('the keeper decides (assess, pure)', () => {
  it('does nothing for a service at its count', () => {
    assert.deepEqual(assess(view(four)), { add: 0, lost: [], waiting: [], exited: [], surplus: [] });
  });

  it('waits while a node is down for less than lostAfter, then replaces what it had', () => {
    assert.equal(assess(view(four, { down: { b: 59 } })).add, 0);
    const plan = assess(view(four, { down: { b: 61 } }));
    assert.equal(plan.add, 2);
    assert.deepEqual(plan.lost.map((w) => w.id), ['b1', 'b2']);
  });

  it('does not replace twice: lost instances already replaced are not lost again, and their replacements count', () => {
    const replaced = [...four, instance('c1', 'c'), instance('c2', 'c')];
    const plan = assess(view(replaced, { down: { b: 120 }, service: service({ replaced: ['b1', 'b2'] }) }));
    assert.deepEqual([plan.add, plan.lost, plan.surplus], [0, [], []]);
  });

  it('leaves a lost instance with a fixed address waiting for its node to be declared gone', () => {
    const fixed = [instance('a1', 'a'), instance('b1', 'b', { addresses: [{ network: 'n', address: '10.0.0.5', fixed: true }] })];
    const plan = assess(view(fixed, { down: { b: 120 }, service: service({ count: 2 }) }));
    assert.deepEqual([plan.add, plan.lost.length, plan.waiting.map((w) => w.id)], [0, 0, ['b1']]);
    assert.match(plan.holding!, /b1 hold fixed addresses on a down node.*--gone/);
  });

  it('replaces an exited instance Docker will not restart, at once; one it may restart only after the grace', () => {
    const exited = { running: false, healthy: false, exitCode: 1 };
    const noRestart = assess(view(four, { statuses: { a1: exited } }));
    assert.deepEqual([noRestart.add, noRestart.exited.map((w) => w.id)], [1, ['a1']]);
    const restarting = four.map((w) => (w.id === 'a1' ? { ...w, restart: 'always' } : w));
    assert.equal(assess(view(restarting, { statuses: { a1: exited }, exitedSince: new Map([['a1', NOW - 1000]]) })).add, 0, 'within the grace');
    assert.equal(assess(view(restarting, { statuses: { a1: exited }, exitedSince: new Map([['a1', NOW - EXITED_GRACE_MS]]) })).add, 1, 'after the grace');
    const cleanExit = four.map((w) => (w.id === 'a1' ? { ...w, restart: 'on-failure:3' } : w));
    assert.equal(assess(view(cleanExit, { statuses: { a1: { running: false, healthy: false, exitCode: 0 } } })).add, 1, 'on-failure does not restart a clean exit');
  });

  it('counts an instance an operator stopped, and leaves it be', () => {
    const stopped = four.map((w) => (w.id === 'a1' ? { ...w, stoppedAt: ago(10) } : w));
    const plan = assess(view(stopped, { statuses: { a1: { running: false, healthy: false, exitCode: 137 } } }));
    assert.deepEqual([plan.add, plan.exited], [0, []]);
  });

  it('removes surplus only with every node up: the replaced lost ones first, then the oldest', () => {
    const back = [instance('a1', 'a', { createdAt: ago(900) }), ...four.slice(1), instance('c1', 'c', { createdAt: ago(10) }), instance('c2', 'c', { createdAt: ago(10) })];
    const replaced = service({ replaced: ['b1', 'b2'] });
    assert.deepEqual(assess(view(back, { down: { b: 5 }, service: replaced })).surplus, [], 'not while b is down');
    assert.deepEqual(assess(view(back, { service: replaced })).surplus.map((w) => w.id), ['b1', 'b2']);
    assert.deepEqual(assess(view(back, { service: service({ count: 5 }) })).surplus.map((w) => w.id), ['a1'], 'without replaced ones, the oldest');
  });

  it('a service without a count (a record from before) is held to what it runs', () => {
    assert.deepEqual(assess(view(four, { service: service({ count: undefined }) })).add, 0);
  });
});
