import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { EmbeddedStore } from '../../src/store/embedded.js';
import { openStore } from '../../src/store/index.js';
import { etcdAddress } from '../../harness/services.js';
import { storeConformance } from '../support/store-conformance.js';

const dirs: string[] = [];
after(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

async function tempDb(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'eru-store-'));
  dirs.push(dir);
  return join(dir, 'eru.db');
}

storeConformance('embedded', async () => openStore(`embedded:${await tempDb()}`));
storeConformance('etcd', async () => openStore(`etcd://${etcdAddress()}`));

describe('embedded store specifics', () => {
  it('keeps everything across a reopen', async () => {
    const path = await tempDb();
    const first = new EmbeddedStore(path);
    const revision = await first.put('/k', 'v');
    await first.close();
    const second = new EmbeddedStore(path);
    const kv = await second.get('/k');
    assert.equal(kv?.value, 'v');
    assert.equal(kv?.modRevision, revision);
    assert.ok((await second.put('/k2', 'v')) > revision, 'revisions continue');
    await second.close();
  });

  it('leases end with the process that held them: reopened, its leased keys are gone, its other keys stay, new lease ids are new', async () => {
    const path = await tempDb();
    const first = new EmbeddedStore(path);
    const lease = await first.grantLease(60);
    await first.put('/alive/n1', 'up', { lease: lease.id });
    await first.put('/plain', 'kept');
    // Closed without revoking, as a process that dies would leave it.
    await first.close();
    const second = new EmbeddedStore(path);
    assert.equal(await second.get('/alive/n1'), null);
    assert.equal((await second.get('/plain'))?.value, 'kept');
    const next = await second.grantLease(60);
    assert.notEqual(next.id, lease.id);
    await assert.rejects(second.put('/late', 'x', { lease: lease.id }), /lease/);
    await second.close();
  });

  it('a kept-alive lease outlives its TTL without a write: the revision does not move', async () => {
    const path = await tempDb();
    const store = new EmbeddedStore(path);
    const lease = await store.grantLease(1);
    const revision = await store.put('/held', 'yes', { lease: lease.id });
    for (let i = 0; i < 6; i++) {
      await new Promise((r) => setTimeout(r, 300));
      await lease.keepAlive();
    }
    const held = await store.get('/held');
    assert.equal(held?.modRevision, revision);
    assert.equal(await store.put('/other', 'x'), revision + 1, 'keep-alives wrote nothing');
    await store.close();
  });

  it('refuses a second owner of the same file while the first is open', async () => {
    const path = await tempDb();
    const first = new EmbeddedStore(path);
    // The lock names a live process other than this one.
    const { writeFileSync } = await import('node:fs');
    writeFileSync(`${path}.lock`, String(process.ppid));
    assert.throws(() => new EmbeddedStore(path), /in use by process/);
    writeFileSync(`${path}.lock`, String(process.pid));
    await first.close();
  });

  it('rejects unknown store URLs with the field named', () => {
    assert.throws(() => openStore('mysql://x'), /store: unknown store/);
    assert.throws(() => openStore('etcd://'), /store: cannot read etcd hosts/);
  });
});
