import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { undoTarget } from '../../src/core/replace/rollouts.js';
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
