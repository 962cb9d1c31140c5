import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { NodeView } from '../../src/contract/nodes.js';
import type { Workload } from '../../src/model/workload.js';
import { AgentProcess } from '../../harness/agent.js';
import { consoleErrors, launchBrowser, signIn } from '../../harness/browser.js';
import { CoreProcess, TEST_TOKEN, tempDir } from '../../harness/core.js';
import { BASE_IMAGE, removePodContainers, testDocker } from '../../harness/docker.js';
import { dockerEndpoint, eventually, uniqueSuffix } from '../../harness/services.js';

interface Cell {
  core: string;
  kind: string;
  holders: string;
}

/** What the map must show for a node, from the API: each core's kind and its holders (id:pieces, largest first). */
function expectedCells(view: NodeView, workloads: Workload[]): Cell[] {
  return view.cpuMap.map((c) => {
    const holders = workloads
      .filter((w) => w.node === view.name && w.placement.cpuset?.[c.core])
      .map((w) => [w.id, w.placement.cpuset![c.core]!] as const)
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    const kind = c.state === 'reserved' ? 'reserved' : holders.length === 0 ? 'free' : holders.length === 1 && holders[0]![1] === view.sharebase ? 'exclusive' : 'fragment';
    return { core: c.core, kind, holders: holders.map(([id, pieces]) => `${id}:${pieces}`).join(',') };
  });
}

describe('the dashboard in a real browser (Debian Chromium through playwright-core)', () => {
  const docker = testDocker();
  const pod = `dash-${uniqueSuffix()}`;
  const node = `dash-node-${uniqueSuffix()}`;
  const shots = mkdtempSync(join(tmpdir(), 'eru-dashboard-shots-'));
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let core: CoreProcess;
  let agent: AgentProcess;
  let browser: Browser;
  let page: Page;
  let errors: string[] = [];
  let nodeToken = '';

  before(async () => {
    dir = await tempDir('eru-dash-');
    core = await CoreProcess.start(`embedded:${dir.path}/eru.db`);
    assert.equal((await core.eru(['pod', 'add', pod, '--sharebase', '10'])).code, 0);
    assert.equal((await core.eru(['node', 'add', pod, node, '--endpoint', dockerEndpoint(), '--cpus', '0,1'])).code, 0);
    nodeToken = (await core.eru(['node', 'token', node])).stdout.trim();
    agent = new AgentProcess(core.url, node, nodeToken, dockerEndpoint());
    agent.start();
    await eventually(async () => (await core.api<NodeView>('GET', `/v1/nodes/${node}`)).body.liveness.state === 'up', 10_000, 'the node up');
    // One exclusive core plus 3 pieces of the other; two fragments beside them.
    for (const [app, cpu, count] of [['big', '1.3', '1'], ['small', '0.2', '2']] as const) {
      // Not kept: a test below kills one behind Eru's back and looks for it exited on the page.
      const deployed = await core.eru(['deploy', '--pod', pod, '--app', app, '--image', BASE_IMAGE, '--cpu', cpu, '--count', count, '--no-keep', '--', 'sleep', '600']);
      assert.equal(deployed.code, 0, deployed.stderr);
    }
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await agent?.stop();
    await removePodContainers(docker, pod);
    await core?.stop();
    await dir?.remove();
  });

  const workloads = async (): Promise<Workload[]> => (await core.api<Workload[]>('GET', `/v1/workloads?pod=${pod}`)).body;

  it('a wrong token and a node token each get a clear message; the page is served with a strict CSP', async () => {
    const response = await fetch(`${core.url}/ui/`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-security-policy') ?? '', /default-src 'none'; script-src 'self'/);
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${core.url}/ui/`);
    await page.fill('#token', 'not-the-token');
    await page.click('button[type=submit]');
    assert.match((await page.textContent('[data-error]', { timeout: 5000 })) ?? '', /The core refused this token/);
    await page.fill('#token', nodeToken);
    await page.click('button[type=submit]');
    await page.waitForFunction(() => /node token/.test(document.querySelector('[data-error]')?.textContent ?? ''), undefined, { timeout: 5000 });
    assert.equal(await page.evaluate(() => sessionStorage.getItem('eru.token')), null, 'a refused token is not kept');
    assert.deepEqual(await page.context().cookies(), [], 'no cookie');
    await page.close();
  });

  it('signed in, the pod map shows exactly the cores and pieces the API reports, cell by cell', async () => {
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    errors = consoleErrors(page);
    await signIn(page, core.url, TEST_TOKEN);
    assert.equal(await page.evaluate(() => sessionStorage.getItem('eru.token')), TEST_TOKEN, 'the token is in session storage');
    assert.ok(!page.url().includes(TEST_TOKEN), 'never in the URL');
    await page.goto(`${core.url}/ui/#/pods/${pod}`);
    await page.waitForSelector(`[data-node="${node}"] .core`);
    await page.waitForSelector('[data-live="live"]');
    const view = (await core.api<NodeView>('GET', `/v1/nodes/${node}`)).body;
    const expected = expectedCells(view, await workloads());
    const shown = await page.$$eval(`[data-node="${node}"] .core[data-core]`, (cells) =>
      cells.map((c) => ({ core: c.getAttribute('data-core')!, kind: c.getAttribute('data-kind')!, holders: c.getAttribute('data-holders')! })),
    );
    assert.deepEqual(shown, expected);
    assert.deepEqual(expected.map((c) => c.kind).sort(), ['exclusive', 'fragment'], 'one exclusive core, one fragment core');
    // The fragment core's pieces are drawn to scale: 3 + 2 + 2 of 10, 3 left empty.
    const fragment = expected.find((c) => c.kind === 'fragment')!;
    const widths = await page.$$eval(`[data-node="${node}"] .core[data-core="${fragment.core}"] .piece`, (pieces) => pieces.map((p) => (p as HTMLElement).style.width));
    assert.deepEqual(widths, ['30%', '20%', '20%']);
    // The summary agrees with the API's free CPU.
    assert.equal(await page.getAttribute('[data-free-cpu]', 'data-free-cpu'), String(view.resources.cpuFree));
    // Measured use arrives with heartbeats.
    await eventually(async () => (await page.$$eval(`[data-node="${node}"] .core[data-use]`, (cells) => cells.filter((c) => c.getAttribute('data-use') !== '').length)) === 2 || undefined, 15_000, 'use on both cores');
    // A draining node says so on the map, live; undrained, it does not. (Nothing here is kept, so the drain leaves it all and exits 1.)
    const drain = await core.eru(['node', 'drain', node, '--deadline', '1s']);
    assert.equal(drain.code, 1, drain.stderr);
    assert.match(drain.stdout, new RegExp(`${node}: 0 instance\\(s\\) moved; 3 left:`));
    await page.waitForSelector(`[data-node="${node}"] .badge.draining`, { timeout: 5000 });
    assert.equal((await core.eru(['node', 'undrain', node])).code, 0);
    await page.waitForSelector(`[data-node="${node}"] .badge.draining`, { state: 'detached', timeout: 5000 });
  });

  it('a docker kill turns the workload red within 3 s, and a deploy from the CLI appears, both without a reload', async () => {
    await page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));
    const [victim] = (await workloads()).filter((w) => w.app === 'small');
    const killedAt = Date.now();
    await docker.getContainer(victim!.id).kill();
    await page.waitForSelector(`.piece[data-workload="${victim!.id}"][data-state="exited"].bad`, { timeout: 3000 });
    console.log(`the kill showed in the map ${Date.now() - killedAt} ms after docker kill`);
    const deployed = await core.eru(['deploy', '--pod', pod, '--app', 'late', '--image', BASE_IMAGE, '--cpu', '0.1', '--', 'sleep', '600']);
    assert.equal(deployed.code, 0, deployed.stderr);
    const [late] = (await workloads()).filter((w) => w.app === 'late');
    await page.waitForSelector(`.piece[data-workload="${late!.id}"]`, { timeout: 5000 });
    assert.equal(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded), true, 'the page was not reloaded');
    await page.screenshot({ path: join(shots, 'pod-desktop.png'), fullPage: true });
    // The workloads table says the same, and so does the events feed once opened.
    await page.goto(`${core.url}/ui/#/workloads?pod=${pod}`);
    await page.waitForSelector(`tr[data-workload="${victim!.id}"][data-state="exited"]`, { timeout: 5000 });
    await page.goto(`${core.url}/ui/#/events?pod=${pod}`);
    await page.waitForSelector('[data-events]');
    assert.equal((await core.eru(['rm', late!.id])).code, 0);
    await page.waitForSelector('tr[data-type="workload.removed"]', { timeout: 5000 });
  });

  it('the workload page shows its record and follows its log; desktop and phone screenshots, no console errors', async () => {
    const [big] = (await workloads()).filter((w) => w.app === 'big');
    const talker = await core.eru(['deploy', '--pod', pod, '--app', 'talker', '--image', BASE_IMAGE, '--cpu', '0.1', '--', 'sh', '-c', 'i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.3; done']);
    assert.equal(talker.code, 0, talker.stderr);
    const [speaker] = (await workloads()).filter((w) => w.app === 'talker');
    await page.goto(`${core.url}/ui/#/workloads/${speaker!.id}`);
    await page.waitForFunction(() => /tick \d+\ntick \d+\ntick \d+/.test(document.querySelector('[data-logs]')?.textContent ?? ''), undefined, { timeout: 10_000 });
    const before = (await page.textContent('[data-logs]'))!.split('\n').filter(Boolean).length;
    await page.waitForFunction((n) => (document.querySelector('[data-logs]')?.textContent ?? '').split('\n').filter(Boolean).length > n, before, { timeout: 5000 });
    await page.goto(`${core.url}/ui/#/workloads/${big!.id}`);
    await page.waitForSelector(`[data-workload="${big!.id}"] dl.facts`);
    assert.match((await page.textContent('dl.facts'))!, new RegExp(`1\\.3 on cpuset ${big!.cpuSettings.cpusetCpus.replace(',', ',')}`));
    await page.screenshot({ path: join(shots, 'workload-desktop.png'), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${core.url}/ui/#/pods/${pod}`);
    await page.waitForSelector(`[data-node="${node}"] .core`);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `the pod page fits a phone's width (${overflow}px too wide)`);
    await page.screenshot({ path: join(shots, 'pod-phone.png'), fullPage: true });
    await page.goto(`${core.url}/ui/#/workloads/${big!.id}`);
    await page.waitForSelector('dl.facts');
    await page.screenshot({ path: join(shots, 'workload-phone.png'), fullPage: true });
    await page.goto(`${core.url}/ui/#/apps`);
    await page.waitForSelector('h1');
    console.log(`screenshots: ${['pod-desktop', 'workload-desktop', 'pod-phone', 'workload-phone'].map((n) => join(shots, `${n}.png`)).join(' ')}`);
    assert.deepEqual(errors, [], 'no console errors');
  });

  it("a viewer's dashboard works on every page and shows no env value anywhere", async () => {
    const secret = `s3cr3t-${uniqueSuffix()}`;
    const deployed = await core.eru(['deploy', '--pod', pod, '--app', 'secretive', '--image', BASE_IMAGE, '--cpu', '0.1', '--env', `SECRET=${secret}`, '--', 'sleep', '600']);
    assert.equal(deployed.code, 0, deployed.stderr);
    const [secretive] = (await workloads()).filter((w) => w.app === 'secretive');
    const viewer = JSON.parse((await core.eru(['--json', 'token', 'add', `dash-${uniqueSuffix()}`, '--scope', 'viewer'])).stdout) as { token: string };
    const viewerPage = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const viewerErrors = consoleErrors(viewerPage);
    // Everything the page was sent, not only what it drew: the API's answers must not carry the value.
    const received: Array<Promise<string>> = [];
    viewerPage.on('response', (response) => {
      // JSON answers only: a stream (events, a log followed) never ends.
      if (response.url().includes('/v1/') && (response.headers()['content-type'] ?? '').startsWith('application/json')) received.push(response.text().catch(() => ''));
    });
    try {
      await signIn(viewerPage, core.url, viewer.token);
      const pages: Array<[string, string]> = [
        [`#/pods/${pod}`, `[data-node="${node}"] .core`],
        [`#/workloads?pod=${pod}`, `tr[data-workload="${secretive!.id}"]`],
        [`#/workloads/${secretive!.id}`, 'dl.facts'],
        ['#/apps/secretive', 'h1'],
        ['#/events', 'h1'],
      ];
      for (const [hash, ready] of pages) {
        await viewerPage.goto(`${core.url}/ui/${hash}`);
        await viewerPage.waitForSelector(ready, { timeout: 10_000 });
        const text = await viewerPage.evaluate(() => document.body.innerText + document.documentElement.outerHTML);
        assert.ok(!text.includes(secret), `${hash} shows the env value`);
      }
      // The workload page names the variable all the same.
      await viewerPage.goto(`${core.url}/ui/#/workloads/${secretive!.id}`);
      await viewerPage.waitForSelector('dl.facts');
      assert.match((await viewerPage.textContent('dl.facts'))!, /SECRET/);
      const bodies = await Promise.all(received);
      assert.ok(bodies.length >= 5, `the page read the API (${bodies.length} answers)`);
      assert.ok(bodies.some((b) => b.includes('"SECRET"')), 'the variable reached the page by name');
      assert.ok(!bodies.some((b) => b.includes(secret)), 'no answer to the viewer carried the value');
      assert.deepEqual(viewerErrors, [], 'no console errors');
    } finally {
      await viewerPage.close();
    }
  });
});
