import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CoreProcess, tempDir } from '../support/core.js';

const APP_YAML = `appname: hello
base: local/busybox:1
build:
  - mkdir -p /www && cp index.html /www/
entrypoints:
  web:
    cmd: httpd -f -p 8080 -h /www
    ports: ["8080/tcp"]
  worker:
    cmd: sh -c 'while true; do date; sleep 5; done'
`;

describe('apps: registering versions from a git checkout, env per environment', () => {
  let core: CoreProcess;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let repo: string;
  const git = (...args: string[]): string => execFileSync('git', ['-C', repo, ...args], { encoding: 'utf8' }).trim();

  before(async () => {
    dir = await tempDir('eru-apps-');
    repo = join(dir.path, 'hello');
    execFileSync('git', ['init', '-q', repo]);
    git('config', 'user.email', 'test@eru.local');
    git('config', 'user.name', 'test');
    writeFileSync(join(repo, 'app.yaml'), APP_YAML);
    writeFileSync(join(repo, 'index.html'), 'hello\n');
    git('add', '.');
    git('commit', '-qm', 'first');
    core = await CoreProcess.start(`embedded:${dir.path}/eru.db`);
  });
  after(async () => {
    await core?.stop();
    await dir?.remove();
  });

  it('registers HEAD with its sha and path, and a second commit as a second version', async () => {
    const first = git('rev-parse', 'HEAD');
    const result = await core.eru(['app', 'register', '--dir', repo]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.trim(), `registered hello@${first.slice(0, 7)} (entrypoints: web, worker) from ${repo}`);
    assert.equal((await core.eru(['app', 'register', '--dir', repo])).code, 0, 'registering the same sha again is fine');

    writeFileSync(join(repo, 'index.html'), 'hello again\n');
    git('commit', '-qam', 'second');
    const second = git('rev-parse', 'HEAD');
    assert.equal((await core.eru(['app', 'register', '--dir', repo])).code, 0);
    const versions = JSON.parse((await core.eru(['app', 'versions', 'hello', '--json'])).stdout) as Array<{ sha: string }>;
    assert.deepEqual(versions.map((v) => v.sha), [first, second]);
    assert.match((await core.eru(['app', 'ls'])).stdout, /^hello\s+2\s+/m);
  });

  it('refuses a bad app.yaml with its field and line, and registers nothing', async () => {
    writeFileSync(join(repo, 'app.yaml'), APP_YAML.replace('  worker:', '  bad_worker:'));
    git('commit', '-qam', 'broken');
    const result = await core.eru(['app', 'register', '--dir', repo]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^eru: app\.yaml line 9: entrypoints\.bad_worker: bad name: .*no "_"/m);
    assert.equal((JSON.parse((await core.eru(['app', 'versions', 'hello', '--json'])).stdout) as unknown[]).length, 2);
    const outside = await core.eru(['app', 'register', '--dir', dir.path]);
    assert.equal(outside.code, 1);
    assert.match(outside.stderr, /git rev-parse in .*: fatal: not a git repository/);
  });

  it('keeps env vars per environment, apart from app.yaml', async () => {
    assert.equal((await core.eru(['app', 'env', 'set', 'hello', 'prod', 'DB=postgres://db', 'MODE=fast'])).code, 0);
    assert.equal((await core.eru(['app', 'env', 'set', 'hello', 'prod', 'MODE=safe'])).code, 0);
    assert.equal((await core.eru(['app', 'env', 'set', 'hello', 'staging', 'MODE=test'])).code, 0);
    const prod = JSON.parse((await core.eru(['app', 'env', 'show', 'hello', 'prod', '--json'])).stdout) as { vars: Record<string, string> };
    assert.deepEqual(prod.vars, { DB: 'postgres://db', MODE: 'safe' });
    const bad = await core.eru(['app', 'env', 'set', 'hello', 'prod', '1BAD=x']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /vars\.1BAD/);
    assert.equal((await core.eru(['app', 'env', 'show', 'ghost', 'prod'])).code, 1);
  });
});
