/**
 * Rolling replace benchmark (`npm run bench:replace`) on the local Docker daemon, measured in one run:
 *   - Eru: `replace` of 20 instances of an app's web entrypoint (busybox httpd with an HTTP health
 *     check) to another version, 4 at a time (`maxSurge 4`, `drain 0`), until every new instance is
 *     healthy and every old one gone;
 *   - baseline: the same steps by hand with the Docker Engine API on 20 containers made like Eru's
 *     (same image, command, user, health check, cpuset, shares, quota, memory), 4 at a time: remove
 *     the old container, create and start the new one, poll until Docker says healthy (every 250 ms,
 *     as Eru does).
 * The versions alternate (v1 → v2 → v1 ...), Eru and the baseline interleaved. Prints the medians and
 * the ratio. Target: Eru ≤ ×1.2 of the baseline.
 */
import type Docker from 'dockerode';
import { join } from 'node:path';
import type { DeployEvent } from '../src/contract/events.js';
import { eachLimited } from '../src/core/background.js';
import { CoreProcess, tempDir } from '../harness/core.js';
import { deployViaApi, resultOf } from '../harness/deploy.js';
import { removeAppImages, removePodContainers, testDocker } from '../harness/docker.js';
import { GitRepo } from '../harness/git.js';
import { median, timed } from './support/figures.js';

const COUNT = 20;
const BATCH = 4;
const TRIALS = 3;
const POD = 'rbench';
const APP = 'rbench';
const BASELINE = 'rbench-baseline';
const docker = testDocker('unix:///var/run/docker.sock');

const APP_YAML = `appname: ${APP}
base: local/busybox:1
build:
  - mkdir -p /www && cp index.html /www/
entrypoints:
  web:
    cmd: httpd -f -p 8080 -h /www
    healthcheck: {http: {port: 8080, url: /index.html, code: 200}}
`;

const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

async function waitHealthy(id: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const state = (await docker.getContainer(id).inspect()).State as { Running: boolean; Health?: { Status?: string } };
    if (state.Health?.Status === 'healthy') return;
    if (!state.Running || Date.now() > deadline) throw new Error(`${id} did not turn healthy`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function eruReplace(core: CoreProcess, version: string): Promise<number> {
  let events: DeployEvent[] = [];
  const ms = await timed(async () => {
    events = (await core.client.collect<DeployEvent>('POST', `/v1/apps/${APP}/entries/web/replace`, { pod: POD, version, maxSurge: BATCH, maxUnavailable: 0, drain: 0 })).events;
  });
  const result = resultOf(events);
  if (!result?.ok) throw new Error(`Eru replace failed: ${JSON.stringify(result ?? events.at(-1))}`);
  return ms;
}

/** One container made as Eru made `model`, with another image. */
function likeEru(model: Docker.ContainerInspectInfo, image: string, name: string): Docker.ContainerCreateOptions {
  const { CpusetCpus, CpuShares, CpuQuota, CpuPeriod, Memory } = model.HostConfig;
  return {
    name,
    Image: image,
    Cmd: model.Config.Cmd,
    Entrypoint: model.Config.Entrypoint,
    User: model.Config.User,
    Env: model.Config.Env,
    Healthcheck: model.Config.Healthcheck,
    Labels: { 'eru.pod': BASELINE },
    HostConfig: { CpusetCpus, CpuShares, CpuQuota, CpuPeriod, Memory },
  };
}

/** The same steps by hand: per batch of 4 at once, remove the old, create and start the new, wait healthy. */
async function baselineReplace(model: Docker.ContainerInspectInfo, containers: string[], image: string, round: number): Promise<{ ms: number; containers: string[] }> {
  const replaced: string[] = [];
  const ms = await timed(async () => {
    for (let i = 0; i < containers.length; i += BATCH) {
      const batch = containers.slice(i, i + BATCH);
      await eachLimited(batch, BATCH, async (old) => {
        await docker.getContainer(old).remove({ force: true, v: true });
        const created = await docker.createContainer(likeEru(model, image, `${BASELINE}-${round}-${containers.indexOf(old)}`));
        await created.start();
        await waitHealthy(created.id);
        replaced.push(created.id);
      });
    }
  });
  return { ms, containers: replaced };
}

async function main(): Promise<void> {
  const dir = await tempDir('eru-bench-replace-');
  const core = await CoreProcess.start(`embedded:${dir.path}/eru.db`);
  try {
    await core.api('POST', '/v1/pods', { name: POD, sharebase: 100 });
    const added = await core.api('POST', `/v1/pods/${POD}/nodes`, { name: 'local', endpoint: 'unix:///var/run/docker.sock' });
    if (added.status !== 201) throw new Error(JSON.stringify(added.body));
    const repo = GitRepo.create(join(dir.path, APP), { 'app.yaml': APP_YAML, 'index.html': 'one\n' });
    const v1 = repo.head().slice(0, 7);
    const v2 = repo.commit({ 'index.html': 'two\n' }).slice(0, 7);
    for (const version of [v1, v2]) {
      // Registered at each version, as a team's CI would on each commit.
      repo.git('checkout', '-q', version);
      if ((await core.eru(['app', 'register', '--dir', repo.path])).code !== 0) throw new Error('app register failed');
      const built = await core.eru(['build', APP, '--revision', version, '--pod', POD], { timeoutMs: 300_000 });
      if (built.code !== 0) throw new Error(`build ${version}: ${built.stderr}`);
    }
    const deployed = resultOf((await deployViaApi(core, { pod: POD, app: APP, entry: 'web', version: v1, count: COUNT, cpu: 0.05, memory: '16MiB' })).events);
    if (!deployed?.ok) throw new Error(`deploy failed: ${JSON.stringify(deployed)}`);
    await eachLimited(deployed.workloads, BATCH, async (w) => waitHealthy(w.id));
    const model = await docker.getContainer(deployed.workloads[0]!.id).inspect();
    let baseline: string[] = [];
    await eachLimited(
      Array.from({ length: COUNT }, (_, i) => i),
      BATCH,
      async (i) => {
        const created = await docker.createContainer(likeEru(model, `${APP}:${v1}`, `${BASELINE}-start-${i}`));
        await created.start();
        await waitHealthy(created.id);
        baseline.push(created.id);
      },
    );
    const eru: number[] = [];
    const byHand: number[] = [];
    for (let trial = 0; trial < TRIALS; trial++) {
      const version = trial % 2 === 0 ? v2 : v1;
      eru.push(await eruReplace(core, version));
      const round = await baselineReplace(model, baseline, `${APP}:${version}`, trial);
      byHand.push(round.ms);
      baseline = round.containers;
    }
    const [e, b] = [median(eru), median(byHand)];
    console.log(`replace ${COUNT} healthy instances to another version, ${BATCH} at a time (median of ${TRIALS}):`);
    console.log(`  Eru replace (new ahead, healthy, then the old go)   ${seconds(e)}   trials ${eru.map(seconds).join(', ')}`);
    console.log(`  Engine API by hand (remove, create+start, healthy)  ${seconds(b)}   trials ${byHand.map(seconds).join(', ')}`);
    console.log(`ratio: Eru / by hand ×${(e / b).toFixed(2)} (target ≤ 1.2: ${e / b <= 1.2 ? 'ok' : 'MISSED'})`);
  } finally {
    await removePodContainers(docker, POD);
    await removePodContainers(docker, BASELINE);
    await core.stop();
    await removeAppImages(docker, APP);
    await dir.remove();
  }
}

await main();
