import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { NodeView } from '../../src/contract/nodes.js';
import type { EruEvent } from '../../src/contract/events.js';
import { AgentProcess } from '../../harness/agent.js';
import { launchBrowser, signIn } from '../../harness/browser.js';
import { runEru } from '../../harness/cli.js';
import { CoreProcess, TEST_TOKEN, freePort, tempDir } from '../../harness/core.js';
import { ExtraDaemon } from '../../harness/dockerd.js';
import { BASE_IMAGE, removePodContainers, testDocker } from '../../harness/docker.js';
import { TlsEtcd } from '../../harness/etcd.js';
import { startRedis } from '../../harness/redis.js';
import { dockerEndpoint, eventually, uniqueSuffix } from '../../harness/services.js';
import { TestCa, type Issued } from '../../harness/tls.js';

/**
 * TLS everywhere Eru crosses a network, each on the real thing with certificates `openssl` made for
 * the test: the core over HTTPS (CLI, agent, exec, cp, the dashboard in Chromium), Docker over TLS,
 * etcd over TLS with a user, Redis over TLS with a password.
 */
describe('TLS: the core over HTTPS, Docker with --tlsverify, etcd with TLS and a user, Redis over TLS', () => {
  const cleanups: Array<() => Promise<void>> = [];
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let ca: TestCa;
  let other: TestCa;
  let server: Issued;
  let client: Issued;

  before(async () => {
    dir = await tempDir('eru-tls-');
    cleanups.push(dir.remove);
    ca = TestCa.create(dir.path);
    other = TestCa.create(dir.path, 'another-ca');
    server = ca.issue('eru-server');
    client = ca.issue('eru-client');
  });
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  });

  async function httpsCore(name: string, extra: string[] = [], clientCert = false): Promise<CoreProcess> {
    const core = await CoreProcess.start(`embedded:${dir.path}/${name}.db`, ['--tls-cert', server.certFile, '--tls-key', server.keyFile, ...extra], {
      caFile: ca.caFile,
      ...(clientCert ? { client: { certFile: client.certFile, keyFile: client.keyFile } } : {}),
    });
    cleanups.push(() => core.stop());
    return core;
  }

  it('the core over HTTPS: the CLI and the agent trust its CA (--ca, ERU_CA), exec and cp cross it; no CA, another CA or http:// fail with what to do', async () => {
    const core = await httpsCore('https');
    assert.match(core.url, /^https:/);
    const pod = `tls-${uniqueSuffix()}`;
    const node = `tls-node-${uniqueSuffix()}`;
    cleanups.push(() => removePodContainers(testDocker(), pod));
    assert.equal((await core.eru(['pod', 'add', pod])).code, 0);
    assert.equal((await core.eru(['node', 'add', pod, node, '--endpoint', dockerEndpoint(), '--cpu', '1'])).code, 0);
    const viaEnv = await runEru(['--url', core.url, '--token', TEST_TOKEN, 'pod', 'ls'], { env: { ERU_CA: ca.caFile } });
    assert.equal(viaEnv.code, 0, viaEnv.stderr);
    assert.match(viaEnv.stdout, new RegExp(pod));

    for (const [what, args] of [
      ['no CA', []],
      ['another CA', ['--ca', other.caFile]],
    ] as const) {
      const refused = await runEru(['--url', core.url, '--token', TEST_TOKEN, ...args, 'pod', 'ls'], { env: { ERU_CA: '' } });
      assert.equal(refused.code, 1, what);
      assert.match(refused.stderr, /cannot reach the core at https:\/\/127\.0\.0\.1:\d+: its TLS certificate is not signed by a CA this client trusts \(\w+\); give the core's CA with --ca FILE, ERU_CA/, what);
    }
    const plain = await runEru(['--url', core.url.replace('https:', 'http:'), '--token', TEST_TOKEN, 'pod', 'ls']);
    assert.equal(plain.code, 1);
    assert.match(plain.stderr, /a core serving HTTPS is reached with https:\/\//);

    // The agent reports over HTTPS; without the CA it says why it cannot.
    const nodeToken = (await core.eru(['node', 'token', node])).stdout.trim();
    const blind = new AgentProcess(core.url, node, nodeToken, dockerEndpoint());
    cleanups.push(() => blind.stop());
    blind.start();
    await eventually(async () => /not signed by a CA this client trusts/.test(blind.log), 15_000, 'the agent to say it does not trust the core');
    await blind.stop();
    const agent = new AgentProcess(core.url, node, nodeToken, dockerEndpoint(), undefined, ['--ca', ca.caFile]);
    cleanups.push(() => agent.stop());
    agent.start();
    await eventually(async () => (await core.api<NodeView>('GET', `/v1/nodes/${node}`)).body.liveness.state === 'up', 15_000, 'the node up through the HTTPS core');

    const deployed = await core.eru(['--json', 'deploy', '--pod', pod, '--app', 'overtls', '--image', BASE_IMAGE, '--cpu', '0.1', '--', 'sleep', '600']);
    assert.equal(deployed.code, 0, deployed.stderr);
    const id = (JSON.parse(deployed.stdout.trim().split('\n').at(-1)!) as { workloads: Array<{ id: string }> }).workloads[0]!.id;
    const exec = await core.eru(['exec', id, '--', 'echo', 'across TLS']);
    assert.deepEqual([exec.code, exec.stdout], [0, 'across TLS\n'], exec.stderr);
    // stdin crosses too, and ending it (a TLS half-close) ends the command while its output still comes back.
    const piped = await core.eru(['exec', '-i', id, '--', 'tr', 'a-z', 'A-Z'], { input: 'piped over tls\n', timeoutMs: 20_000 });
    assert.deepEqual([piped.code, piped.stdout], [0, 'PIPED OVER TLS\n'], piped.stderr);
    const file = join(dir.path, 'note.txt');
    writeFileSync(file, 'copied over https\n');
    assert.equal((await core.eru(['cp', file, `${id}:/tmp/note.txt`])).code, 0);
    const back = join(dir.path, 'back.txt');
    assert.equal((await core.eru(['cp', `${id}:/tmp/note.txt`, back])).code, 0);
    assert.equal(readFileSync(back, 'utf8'), 'copied over https\n');
  });

  it('the dashboard over HTTPS in Chromium that trusts the test CA; a browser without it does not load the page', async () => {
    const core = await httpsCore('dashboard');
    const pod = `tlsui-${uniqueSuffix()}`;
    assert.equal((await core.eru(['pod', 'add', pod])).code, 0);
    const viewer = (await core.eru(['token', 'add', 'screen', '--scope', 'viewer'])).stdout.trim();
    const home = join(dir.path, 'browser-home');
    mkdirSync(home);
    const trusting = await launchBrowser({ trustCa: ca.caFile, home });
    cleanups.push(() => trusting.close());
    const page = await trusting.newPage();
    await signIn(page, core.url, viewer);
    await page.waitForSelector(`text=${pod}`);
    assert.ok((await page.content()).includes(pod));
    await page.screenshot({ path: join(dir.path, 'https-dashboard.png') });

    const untrusting = await launchBrowser();
    cleanups.push(() => untrusting.close());
    const failed = await (await untrusting.newPage()).goto(`${core.url}/ui/`).then(
      () => 'loaded',
      (error: Error) => error.message,
    );
    assert.match(failed, /ERR_CERT_AUTHORITY_INVALID/);
  });

  it('a core that asks for client certificates (--tls-client-ca): a client without one is cut off, one with a certificate of the CA is answered', async () => {
    const core = await httpsCore('mtls', ['--tls-client-ca', ca.caFile], true);
    assert.equal((await core.eru(['pod', 'ls'])).code, 0, 'with --client-cert and --client-key');
    const without = await runEru(['--url', core.url, '--token', TEST_TOKEN, '--ca', ca.caFile, 'pod', 'ls']);
    assert.equal(without.code, 1);
    // TLS 1.3 refuses the missing certificate after the handshake: the client reads the alert or a reset.
    assert.match(without.stderr, /cannot reach the core at https:.*: (the core asks for a client certificate signed by its client CA and did not take this client's|the connection was cut \(ECONNRESET\); a core that asks for a client certificate signed by its client CA cuts a client without one:) .*give one with --client-cert FILE --client-key FILE/);
    const stranger = other.issue('stranger');
    const wrong = await runEru(['--url', core.url, '--token', TEST_TOKEN, '--ca', ca.caFile, '--client-cert', stranger.certFile, '--client-key', stranger.keyFile, 'pod', 'ls']);
    assert.equal(wrong.code, 1, 'a certificate of another CA');
    assert.match(wrong.stderr, /did not take this client's/);
  });

  it('Docker over TLS: a node added through dockerd --tlsverify on 127.0.0.1 with its certificates runs workloads; a plain tcp:// is refused unless --insecure', async () => {
    const daemon = await ExtraDaemon.start(7, { tls: { port: await freePort(), caFile: ca.caFile, certFile: server.certFile, keyFile: server.keyFile } });
    cleanups.push(() => daemon.stop());
    const core = await CoreProcess.start(`embedded:${dir.path}/docker-tls.db`);
    cleanups.push(() => core.stop());
    const pod = `tlsd-${uniqueSuffix()}`;
    cleanups.push(() => removePodContainers(daemon.docker, pod));
    assert.equal((await core.eru(['pod', 'add', pod])).code, 0);
    const plain = await core.eru(['node', 'add', pod, 'plain', '--endpoint', daemon.tcpEndpoint, '--cpu', '1']);
    assert.equal(plain.code, 1);
    assert.match(plain.stderr, /endpoint: a tcp:\/\/ endpoint without TLS sends the Docker API \(root on that host\) in clear: give tls .*or say insecure \(--insecure\)/);
    // Said knowingly, it is tried: plain HTTP to a TLS port gets no answer a client could use.
    const insecure = await core.eru(['node', 'add', pod, 'insecure', '--endpoint', daemon.tcpEndpoint, '--cpu', '1', '--insecure']);
    assert.equal(insecure.code, 1);
    assert.match(insecure.stderr, /the Docker daemon at tcp:\/\/127\.0\.0\.1:\d+ does not answer/);
    // Another CA's client certificate is refused by the daemon.
    const stranger = other.issue('docker-stranger');
    const refused = await core.eru(['node', 'add', pod, 'stranger', '--endpoint', daemon.tcpEndpoint, '--cpu', '1', '--tls-ca', ca.caFile, '--tls-cert', stranger.certFile, '--tls-key', stranger.keyFile]);
    assert.equal(refused.code, 1, refused.stdout);
    const added = await core.eru(['node', 'add', pod, 'secure', '--endpoint', daemon.tcpEndpoint, '--cpu', '1', '--tls-ca', ca.caFile, '--tls-cert', client.certFile, '--tls-key', client.keyFile]);
    assert.equal(added.code, 0, added.stderr);
    const deployed = await core.eru(['--json', 'deploy', '--pod', pod, '--app', 'dockertls', '--image', BASE_IMAGE, '--cpu', '0.1', '--', 'sleep', '600']);
    assert.equal(deployed.code, 0, deployed.stderr);
    const id = (JSON.parse(deployed.stdout.trim().split('\n').at(-1)!) as { workloads: Array<{ id: string }> }).workloads[0]!.id;
    assert.equal((await daemon.docker.getContainer(id).inspect()).State.Running, true, 'running on the TLS daemon');
  });

  it('etcd with TLS, client certificates and a user: the core keeps its state there; a wrong password, no user or plain etcd:// are refused clearly', async () => {
    const etcd = await TlsEtcd.start(ca, server, client);
    cleanups.push(() => etcd.stop());
    const passwordFile = join(dir.path, 'etcd-password');
    writeFileSync(passwordFile, `${etcd.password}\n`, { mode: 0o600 });
    const storeArgs = ['--store-ca', ca.caFile, '--store-cert', client.certFile, '--store-key', client.keyFile, '--store-user', 'eru'];
    const core = await CoreProcess.start(etcd.url, [...storeArgs, '--store-password-file', passwordFile]);
    cleanups.push(() => core.stop());
    const pod = `tlse-${uniqueSuffix()}`;
    assert.equal((await core.eru(['pod', 'add', pod])).code, 0);
    assert.equal((await core.api<{ name: string }>('GET', `/v1/pods/${pod}`)).body.name, pod);

    const wrongFile = join(dir.path, 'wrong-password');
    writeFileSync(wrongFile, 'not-it\n');
    for (const [what, store, args, reason] of [
      ['a wrong password', etcd.url, [...storeArgs, '--store-password-file', wrongFile], /authentication failed, invalid user ID or password/],
      ['plain etcd:// to a TLS port', etcd.url.replace('etcds:', 'etcd:'), ['--store-user', 'eru', '--store-password-file', passwordFile], /store etcd:\/\/127\.0\.0\.1:\d+ as eru: /],
    ] as const) {
      const refused = await CoreProcess.start(store, [...args]).then(
        async (started) => {
          await started.stop();
          return 'started';
        },
        (error: Error) => error.message,
      );
      assert.match(refused, reason, what);
    }
  });

  it('Redis over TLS with a password: events cross the bus', async () => {
    const password = `bus-${uniqueSuffix()}`;
    const redis = await startRedis({ certFile: server.certFile, keyFile: server.keyFile, caFile: ca.caFile, password });
    cleanups.push(() => redis.stop());
    assert.match(redis.url, /^rediss:/);
    const passwordFile = join(dir.path, 'redis-password');
    writeFileSync(passwordFile, password);
    const core = await CoreProcess.start(`embedded:${dir.path}/redis-tls.db`, ['--bus', redis.url, '--bus-ca', ca.caFile, '--bus-password-file', passwordFile]);
    cleanups.push(() => core.stop());
    const pod = `tlsr-${uniqueSuffix()}`;
    const seen: EruEvent[] = [];
    const abort = new AbortController();
    const watching = (async () => {
      for await (const event of core.client.stream<EruEvent>('GET', '/v1/events', undefined, undefined, abort.signal)) {
        seen.push(event);
        if (event.type === 'pod.created' && event.pod === pod) return;
      }
    })().catch(() => undefined);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal((await core.eru(['pod', 'add', pod])).code, 0);
    await eventually(async () => seen.some((e) => e.type === 'pod.created' && e.pod === pod), 10_000, 'the event through Redis over TLS');
    abort.abort();
    await watching;
    // Without the CA the core cannot use the bus, and says so.
    const blind = await CoreProcess.start(`embedded:${dir.path}/redis-blind.db`, ['--bus', redis.url, '--bus-password-file', passwordFile]).then(
      async (started) => {
        await started.stop();
        return 'started';
      },
      (error: Error) => error.message,
    );
    assert.match(blind, /bus rediss:\/\/127\.0\.0\.1:\d+: .*(self[- ]signed|unable to verify|certificate)/i);
  });
});
