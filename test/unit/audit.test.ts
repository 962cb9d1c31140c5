import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Audit } from '../../src/core/audit/index.js';
import { Repositories } from '../../src/core/repositories.js';
import { openStore } from '../../src/store/index.js';

describe('the audit in the store', () => {
  const dir = mkdtempSync(join(tmpdir(), 'eru-audit-'));
  const store = openStore(`embedded:${join(dir, 'eru.db')}`);
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the newest entries up to its bound, and lists them newest first by time, app and token', async () => {
    const warnings: string[] = [];
    const log = { info: () => undefined, warn: (_f: object, m: string) => warnings.push(m), error: () => undefined };
    const audit = new Audit(new Repositories(store), log, 50);
    const start = Date.parse('2026-11-30T10:00:00Z');
    for (let i = 0; i < 130; i++) {
      await audit.record(
        { token: i % 2 ? 'ci' : 'admin', scope: i % 2 ? 'deployer' : 'admin', action: 'POST /v1/workloads', target: { n: String(i) }, app: i % 3 ? 'web' : 'db', outcome: 'ok', status: 200, durationMs: 1 },
        new Date(start + i * 1000),
      );
    }
    await audit.trim();
    const all = await audit.list({ limit: 10_000 }, start + 200_000);
    assert.equal(all.length, 50, 'trimmed to the bound');
    assert.deepEqual(all.map((e) => Number(e.target.n)), Array.from({ length: 50 }, (_, i) => 129 - i), 'the newest kept, newest first');
    // Since 10 s before the last: 11 entries (119…129).
    assert.equal((await audit.list({ limit: 100, since: '10s' }, start + 129_000)).length, 11);
    assert.ok((await audit.list({ limit: 100, app: 'db' }, start)).every((e) => e.app === 'db'));
    assert.deepEqual((await audit.list({ limit: 3, token: 'ci' }, start)).map((e) => e.target.n), ['129', '127', '125']);
    assert.deepEqual(warnings, []);
  });
});
