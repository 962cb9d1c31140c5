import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { RateLimiter } from '../../src/api/limits.js';
import { EventQueue } from '../../src/core/background.js';
import { EruError } from '../../src/lib/errors.js';
import { LineBuffer, MAX_LINE, ndjson } from '../../src/lib/lines.js';
import { withoutSetIdBits } from '../../src/lib/tar.js';

describe('line buffers', () => {
  it('hands out whole lines across chunks, and a line over 64 KiB in pieces of 64 KiB, holding no more', () => {
    const buffer = new LineBuffer();
    assert.deepEqual(buffer.push('a\nb'), ['a']);
    assert.deepEqual(buffer.push('c\n'), ['bc']);
    // Two and a half maximum lines with no newline: two pieces out, the half kept.
    const long = 'x'.repeat(MAX_LINE * 2 + MAX_LINE / 2);
    const pieces: string[] = [];
    for (let i = 0; i < long.length; i += 1000) pieces.push(...buffer.push(long.slice(i, i + 1000)));
    assert.deepEqual(pieces.map((p) => p.length), [MAX_LINE, MAX_LINE]);
    assert.deepEqual(buffer.push('y\n'), [`${'x'.repeat(MAX_LINE / 2)}y`]);
    // A long line arriving in one chunk, newline included.
    assert.deepEqual(buffer.push(`${'z'.repeat(MAX_LINE + 3)}\nnext`).map((l) => l.length), [MAX_LINE, 3]);
    assert.equal(buffer.flush(), 'next');
  });

  it('refuses an NDJSON line over its bound instead of holding it', async () => {
    async function* source(): AsyncGenerator<string> {
      yield '{"a":1}\n';
      for (let i = 0; i < 20; i++) yield 'x'.repeat(100);
    }
    const seen: unknown[] = [];
    await assert.rejects(async () => {
      for await (const value of ndjson(source(), 1000)) seen.push(value);
    }, /a line of over 1000 characters/);
    assert.deepEqual(seen, [{ a: 1 }]);
  });
});

describe('tar out of a container', () => {
  const dir = mkdtempSync(join(tmpdir(), 'eru-tar-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('loses set-user-ID and set-group-ID bits, keeps every other bit and all data, and stays a valid tar', async () => {
    const from = join(dir, 'from');
    mkdirSync(join(from, 'tree', 'shared'), { recursive: true });
    copyFileSync('/bin/true', join(from, 'tree', 'su'));
    chmodSync(join(from, 'tree', 'su'), 0o4755);
    writeFileSync(join(from, 'tree', 'sg'), 'group\n');
    chmodSync(join(from, 'tree', 'sg'), 0o2750);
    writeFileSync(join(from, 'tree', 'plain'), 'x'.repeat(1500));
    chmodSync(join(from, 'tree', 'plain'), 0o640);
    chmodSync(join(from, 'tree', 'shared'), 0o1777);
    // A long name: GNU tar puts it in an entry of its own before the real header.
    const longName = `${'n'.repeat(150)}.txt`;
    writeFileSync(join(from, 'tree', longName), 'long\n');
    chmodSync(join(from, 'tree', longName), 0o4700);
    const tar = spawnSync('tar', ['-c', '-C', from, 'tree']).stdout;
    assert.ok(tar.length > 0);

    // Fed in awkward pieces (not on 512-byte blocks) as Docker's stream may be.
    async function* pieces(): AsyncGenerator<Buffer> {
      for (let i = 0; i < tar.length; i += 333) yield tar.subarray(i, i + 333);
    }
    const out: Buffer[] = [];
    for await (const chunk of withoutSetIdBits(pieces())) out.push(chunk);
    const cleaned = Buffer.concat(out);
    assert.equal(cleaned.length, tar.length);

    // Unpacked as root keeping modes (-p), as a careless copy would be.
    const to = join(dir, 'to');
    mkdirSync(to);
    const unpacked = spawnSync('tar', ['-x', '-p', '-C', to], { input: cleaned, encoding: 'utf8' });
    assert.equal(unpacked.status, 0, unpacked.stderr);
    const mode = (name: string): string => (statSync(join(to, 'tree', name)).mode & 0o7777).toString(8);
    assert.deepEqual(
      { su: mode('su'), sg: mode('sg'), plain: mode('plain'), shared: mode('shared'), long: mode(longName) },
      { su: '755', sg: '750', plain: '640', shared: '1777', long: '700' },
    );
    assert.equal(readFileSync(join(to, 'tree', 'plain'), 'utf8'), 'x'.repeat(1500));
    assert.deepEqual(readFileSync(join(to, 'tree', 'su')), readFileSync('/bin/true'));
  });
});

describe('event queues', () => {
  it('makes a writer that asks wait while the reader is a bound behind, and lets it go when the reader leaves', async () => {
    const queue = new EventQueue<number>(3);
    for (let i = 0; i < 3; i++) queue.push(i);
    let roomy = false;
    const waiting = queue.room().then(() => (roomy = true));
    await new Promise((r) => setImmediate(r));
    assert.equal(roomy, false, 'a full queue has no room');
    const reader = queue[Symbol.asyncIterator]();
    assert.deepEqual(await reader.next(), { value: 0, done: false });
    await waiting;
    assert.equal(roomy, true, 'room once the reader took one');
    queue.push(3);
    queue.push(4);
    // The reader goes: nothing more is kept for it, and writers never wait again.
    await reader.return!();
    for (let i = 0; i < 100; i++) queue.push(i);
    await queue.room();
  });

  it('ends for a watcher that falls a bound behind', async () => {
    const queue = new EventQueue<number>(5, 'end');
    for (let i = 0; i < 10; i++) queue.push(i);
    const read: number[] = [];
    for await (const item of queue) read.push(item);
    assert.deepEqual(read, [0, 1, 2, 3, 4, 5]);
  });
});

describe('rate limits', () => {
  it('allows a burst, then the rate, and says how long to wait', () => {
    let now = 0;
    const limiter = new RateLimiter(2, 4, () => now);
    for (let i = 0; i < 4; i++) limiter.take('a', 'token a');
    const refused = (() => {
      try {
        limiter.take('a', 'token a');
      } catch (error) {
        return error as EruError;
      }
      return undefined;
    })();
    assert.equal(refused?.code, 'RATE_LIMITED');
    assert.deepEqual(refused?.details, { retryAfter: 1 });
    limiter.take('b', 'token b'); // another key, its own bucket
    now += 500; // half a second: one more request's worth
    limiter.take('a', 'token a');
    assert.throws(() => limiter.take('a', 'token a'), /token a is over 2 requests a second/);
  });
});
