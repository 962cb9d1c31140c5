import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CanaryJudge, THROTTLE_MARGIN, type InstanceReading } from '../../src/core/replace/judge.js';
import { steer, undoTarget } from '../../src/core/replace/rollouts.js';
import type { Rollout } from '../../src/model/rollout.js';

const sha = (c: string): string => c.repeat(40);
const rollout = (number: number, from: string, to: string, outcome: Rollout['outcome']): Rollout => ({
  number,
  pod: 'p',
  app: 'web',
  entry: 'main',
  from: { version: sha(from) },
  to: { version: sha(to) },
  startedAt: '2026-11-30T00:00:00Z',
  outcome,
});

describe('undo picks what to go back to (core/replace/rollouts.ts)', () => {
  const history = [rollout(1, 'a', 'b', 'done'), rollout(2, 'b', 'c', 'done'), rollout(3, 'c', 'd', 'rolled back'), rollout(4, 'c', 'e', 'failed')];

  it('what ran before the last rollout that ended done, skipping those rolled back or failed', () => {
    assert.deepEqual(undoTarget(history), { version: sha('b') });
  });

  it('with --to N, what rollout N moved the service to', () => {
    assert.deepEqual(undoTarget(history, 1), { version: sha('b') });
    assert.deepEqual(undoTarget(history, 3), { version: sha('d') });
  });

  it('refuses a rollout that does not exist, and a history with nothing done', () => {
    assert.throws(() => undoTarget(history, 9), /no rollout 9 \(there are 4\)/);
    assert.throws(() => undoTarget([rollout(1, 'a', 'b', 'rolled back')]), /nothing to undo/);
  });
});

describe('steering a rollout (pause, resume, promote, abort)', () => {
  const running: Rollout = { ...rollout(5, 'a', 'b', 'running'), canary: { count: 1, phase: 'waiting' } };

  it('marks what was asked, and refuses what makes no sense now', () => {
    assert.equal(steer(running, 'pause', 'ops').paused, true);
    assert.throws(() => steer({ ...running, paused: true }, 'pause', 'ops'), /is paused already/);
    assert.throws(() => steer(running, 'resume', 'ops'), /is not paused/);
    assert.deepEqual(steer(running, 'promote', 'ops').canary, { count: 1, phase: 'promoted', verdict: 'promoted by ops' });
    assert.throws(() => steer({ ...running, canary: undefined }, 'promote', 'ops'), /is not a canary/);
    assert.equal(steer(running, 'abort', 'ops').abort, 'aborted by ops');
    assert.throws(() => steer({ ...running, abort: 'aborted by x' }, 'resume', 'ops'), /being aborted already/);
    assert.throws(() => steer({ ...running, outcome: 'done' }, 'pause', 'ops'), /has ended \(done\)/);
  });
});

describe('a canary judged by itself (core/replace/judge.ts)', () => {
  const up = (restarts = 0, extra: Partial<InstanceReading> = {}): InstanceReading => ({ running: true, healthy: true, restarts, ...extra });
  const readings = (entries: Array<[string, InstanceReading]>): Map<string, InstanceReading> => new Map(entries);

  it('promotes new instances that did as well as the old, over the whole window', () => {
    const judge = new CanaryJudge(['n1'], ['o1', 'o2']);
    for (let i = 0; i < 5; i++) judge.observe(readings([['n1', up(2, { throttled: 0.1 })], ['o1', up(7, { throttled: 0.08 })], ['o2', up(0)]]));
    assert.equal(judge.worseNow(), null, 'restarts before the window do not count');
    const verdict = judge.verdict();
    assert.equal(verdict.promote, true, verdict.why);
  });

  it('aborts at once when a new instance stops or restarts more than the old (per instance)', () => {
    const stopped = new CanaryJudge(['n1'], ['o1', 'o2']);
    stopped.observe(readings([['n1', up()], ['o1', up()], ['o2', up()]]));
    stopped.observe(readings([['n1', { running: false, healthy: false, exitCode: 3, restarts: 0 }], ['o1', up()], ['o2', up()]]));
    assert.equal(stopped.worseNow(), '1 of 1 new instance(s) stopped (exit 3), 0 of 2 old');
    const restarted = new CanaryJudge(['n1'], ['o1', 'o2']);
    restarted.observe(readings([['n1', up(0)], ['o1', up(0)], ['o2', up(0)]]));
    restarted.observe(readings([['n1', up(1)], ['o1', up(1)], ['o2', up(0)]]));
    assert.match(restarted.worseNow()!, /restarted 1 time\(s\) \(1 each\), the old 1 \(0.5 each\)/);
  });

  it('at the end: fails health checks more often, or is throttled more than the margin allows', () => {
    const unhealthy = new CanaryJudge(['n1'], ['o1']);
    unhealthy.observe(readings([['n1', up(0, { healthy: false })], ['o1', up()]]));
    unhealthy.observe(readings([['n1', up()], ['o1', up()]]));
    assert.match(unhealthy.verdict().why, /failed their health checks in 50 % of readings, the old in 0 %/);
    const throttled = new CanaryJudge(['n1'], ['o1']);
    throttled.observe(readings([['n1', up(0, { throttled: 0.3 })], ['o1', up(0, { throttled: 0.1 })]]));
    assert.deepEqual(throttled.verdict(), { promote: false, why: 'the new instances spent 30 % of their time throttled by their CPU quota, the old 10 %' });
    const within = new CanaryJudge(['n1'], ['o1']);
    within.observe(readings([['n1', up(0, { throttled: 0.1 + THROTTLE_MARGIN / 2 })], ['o1', up(0, { throttled: 0.1 })]]));
    assert.equal(within.verdict().promote, true);
    assert.equal(new CanaryJudge(['n1'], ['o1']).verdict().promote, false, 'no reading at all is no evidence');
  });
});
