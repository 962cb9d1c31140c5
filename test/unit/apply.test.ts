import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describe as say, plan, type Instance } from '../../src/core/apply/plan.js';
import { DesiredServiceSchema, ServiceViewSchema, type ServiceView } from '../../src/contract/services.js';

const desired = (fields: Record<string, unknown>) => DesiredServiceSchema.parse({ app: 'web', pod: 'p', entry: 'main', count: 2, cpu: 0.5, ...fields });

function service(fields: Record<string, unknown> = {}): ServiceView {
  return ServiceViewSchema.parse({ pod: 'p', app: 'web', entry: 'main', request: {}, spec: { pod: 'p', app: 'web', image: 'img:1', cpu: 0.5 }, updatedAt: '2026-11-30T00:00:00Z', instances: 2, ...fields });
}

const running = (n: number, cpu = 0.5): Map<string, Instance[]> => new Map([['p/web/main', Array.from({ length: n }, (_, i) => ({ id: `w${i}`, cpu, memory: 0 }))]]);

describe('apply plans (core/apply/plan.ts, pure)', () => {
  it('nothing for a service as the file says', () => {
    assert.deepEqual(plan([desired({ image: 'img:1' })], [service()], running(2)), []);
  });

  it('creates a service that is not there, and nothing for one asked at 0', () => {
    assert.deepEqual(plan([desired({ image: 'img:1' })], [], new Map()).map(say), ['create web/main in p: 2 × 0.5 CPU of img:1']);
    assert.deepEqual(plan([desired({ image: 'img:1', count: 0 })], [], new Map()), []);
  });

  it('replace, then resize, then scale, in that order', () => {
    const steps = plan([desired({ image: 'img:2', cpu: 1, count: 3 })], [service()], running(2));
    assert.deepEqual(steps.map((s) => s.kind), ['replace', 'resize', 'scale']);
    assert.deepEqual(steps.map(say), ['replace web/main in p: img:1 → img:2', 'resize 2 instance(s) of web/main in p: cpu 0.5 → 1, memory 0 → 0', 'scale web/main in p: 2 → 3']);
  });

  it('an instance resized by hand is drift, though the record agrees', () => {
    const drifted = new Map([['p/web/main', [{ id: 'w0', cpu: 0.5, memory: 0 }, { id: 'w1', cpu: 0.9, memory: 0 }]]]);
    const [step] = plan([desired({ image: 'img:1' })], [service()], drifted);
    assert.equal(step?.kind, 'resize');
    assert.match(say(step!), /resize 1 instance\(s\) of web\/main in p: cpu 0.9 → 0.5/);
  });

  it('a version given by prefix matches the full sha it names; another version is a replace', () => {
    const byVersion = service({ version: 'a'.repeat(40) });
    assert.deepEqual(plan([desired({ version: 'aaaaaaa' })], [byVersion], running(2)), []);
    assert.deepEqual(plan([desired({ version: 'bbbbbbb' })], [byVersion], running(2)).map((s) => s.kind), ['replace']);
  });
});
