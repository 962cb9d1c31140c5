/**
 * Deploy benchmark (`npm run bench:deploy`) on the local Docker daemon, measured in one run:
 *   - Eru: 40 small bound containers (0.05 CPU, 16 MiB) through a real core, until all are running;
 *   - baseline: the same 40 through the Docker Engine API directly (create + start), with the same
 *     parallelism Eru uses per node (8);
 *   - `docker run -d` × 40 from the CLI at the same parallelism;
 *   - a Docker Swarm service with 40 replicas (swarm on loopback, torn down after), until all run;
 *   - Eru again, the 40 on a MacVLAN network (on a veth the bench makes) with addresses from Eru's pool;
 *   - Eru again at 0.01 CPU each (the quota applied once each runs), against `docker run -d` plain and
 *     with `--cpus 0.01` (the quota throttling runc's start).
 * Prints medians and the ratios. Targets: Eru within 1.15× of plain docker, faster than Swarm, and
 * the macvlan deploy within 1.15× of the default-bridge one, 40 × 0.01 CPU within 1.15× of docker run.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { eachLimited } from '../src/core/background.js';
import { CoreProcess, tempDir } from '../harness/core.js';
import { deployViaApi, resultOf } from '../harness/deploy.js';
import { BASE_IMAGE, removePodContainers, testDocker } from '../harness/docker.js';
import { L2Switch } from '../harness/l2.js';
import { median, timed } from './support/figures.js';

const run = promisify(execFile);
const COUNT = 40;
const PARALLELISM = 8;
const TRIALS = 3;
const docker = testDocker('unix:///var/run/docker.sock');

async function eruTrial(core: CoreProcess, networks: Array<{ name: string }> = [], cpu = 0.05): Promise<number> {
  let ids: string[] = [];
  const ms = await timed(async () => {
    const result = await deployViaApi(core, { pod: 'bench', app: 'bench', image: BASE_IMAGE, command: ['sleep', '600'], cpu, memory: '16MiB', count: COUNT, networks });
    const outcome = resultOf(result.events);
    if (!outcome?.ok) throw new Error(`Eru deploy failed: ${JSON.stringify(result.refused ?? outcome)}`);
    ids = outcome.workloads.map((w) => w.id);
  });
  await eachLimited(ids, PARALLELISM, async (id) => void (await core.api('DELETE', `/v1/workloads/${id}`)));
  return ms;
}

/** The Engine API directly; with `network`, each container on that macvlan network at a fixed address, as Eru does. */
async function apiTrial(trial: number, network?: string): Promise<number> {
  const names = Array.from({ length: COUNT }, (_, i) => `bench-api-${trial}-${i}`);
  const ms = await timed(() =>
    eachLimited(names, PARALLELISM, async (name) => {
      const i = Number(name.split('-').pop());
      const container = await docker.createContainer({
        name,
        Image: BASE_IMAGE,
        Cmd: ['sleep', '600'],
        Labels: { 'eru.pod': 'bench-baseline' },
        HostConfig: { CpuShares: 51, Memory: 16 * 1024 * 1024, ...(network ? { NetworkMode: network } : {}) },
        ...(network ? { NetworkingConfig: { EndpointsConfig: { [network]: { IPAMConfig: { IPv4Address: `10.236.0.${100 + i}` } } } } } : {}),
      });
      await container.start();
    }),
  );
  await removePodContainers(docker, 'bench-baseline');
  return ms;
}

/** `docker run -d` × 40; with `cpus`, each under that CFS quota from its start (what Eru avoids with its startup boost). */
async function cliTrial(trial: number, cpus?: string): Promise<number> {
  const names = Array.from({ length: COUNT }, (_, i) => `bench-cli-${trial}-${cpus ?? ''}-${i}`.replace('.', ''));
  const ms = await timed(() =>
    eachLimited(names, PARALLELISM, async (name) => {
      await run('docker', ['run', '-d', '--name', name, '--label', 'eru.pod=bench-baseline', '--memory', '16m', ...(cpus ? ['--cpus', cpus] : []), BASE_IMAGE, 'sleep', '600']);
    }),
  );
  await removePodContainers(docker, 'bench-baseline');
  return ms;
}

async function swarmTrial(): Promise<number> {
  await run('docker', ['swarm', 'init', '--advertise-addr', '127.0.0.1', '--listen-addr', '127.0.0.1:2377']);
  try {
    return await timed(async () => {
      await run('docker', ['service', 'create', '--detach', '--no-resolve-image', '--name', 'eru-bench', '--replicas', String(COUNT), '--limit-memory', '16m', BASE_IMAGE, 'sleep', '600']);
      const deadline = Date.now() + 300_000;
      for (;;) {
        const tasks = await docker.listTasks({ filters: { service: ['eru-bench'], 'desired-state': ['running'] } });
        if (tasks.filter((t) => (t as { Status?: { State?: string } }).Status?.State === 'running').length >= COUNT) return;
        if (Date.now() > deadline) throw new Error('swarm did not run 40 replicas within 5 minutes');
        await new Promise((r) => setTimeout(r, 50));
      }
    });
  } finally {
    await run('docker', ['service', 'rm', 'eru-bench']).catch(() => undefined);
    await run('docker', ['swarm', 'leave', '--force']).catch(() => undefined);
    // Swarm's task containers go with the service; wait until they have.
    for (let i = 0; i < 300; i++) {
      if ((await docker.listContainers({ all: true, filters: { label: ['com.docker.swarm.service.name=eru-bench'] } })).length === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

async function main(): Promise<void> {
  const dir = await tempDir('eru-bench-deploy-');
  const core = await CoreProcess.start(`embedded:${dir.path}/eru.db`);
  const l2 = L2Switch.create('bnch');
  try {
    await core.api('POST', '/v1/pods', { name: 'bench', sharebase: 100 });
    const added = await core.api('POST', '/v1/pods/bench/nodes', { name: 'local', endpoint: 'unix:///var/run/docker.sock', macvlanParent: l2.plug(1) });
    if (added.status !== 201) throw new Error(JSON.stringify(added.body));
    const net = await core.api('POST', '/v1/networks', { name: 'benchnet', subnet: '10.236.0.0/24' });
    if (net.status !== 201) throw new Error(JSON.stringify(net.body));
    const eru: number[] = [];
    const api: number[] = [];
    const cli: number[] = [];
    const macvlan: number[] = [];
    const apiMacvlan: number[] = [];
    const tiny: number[] = [];
    const cliTiny: number[] = [];
    for (let trial = 0; trial < TRIALS; trial++) {
      // Interleaved, so that a slow moment of the machine does not land on one side only.
      eru.push(await eruTrial(core));
      api.push(await apiTrial(trial));
      cli.push(await cliTrial(trial));
      macvlan.push(await eruTrial(core, [{ name: 'benchnet' }]));
      apiMacvlan.push(await apiTrial(trial + TRIALS, 'benchnet'));
      tiny.push(await eruTrial(core, [], 0.01));
      cliTiny.push(await cliTrial(trial, '0.01'));
    }
    const swarm = await swarmTrial();
    const [e, a, c] = [median(eru), median(api), median(cli)];
    const fmt = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
    console.log(`${COUNT} containers on the local daemon, until all run (median of ${TRIALS}; parallelism ${PARALLELISM}):`);
    console.log(`  Eru deploy (plan, reserve, create, start, record)  ${fmt(e)}   trials ${eru.map(fmt).join(', ')}`);
    console.log(`  Docker Engine API directly (baseline)              ${fmt(a)}   trials ${api.map(fmt).join(', ')}`);
    console.log(`  docker run -d (CLI)                                ${fmt(c)}   trials ${cli.map(fmt).join(', ')}`);
    console.log(`  Docker Swarm service, 40 replicas                  ${fmt(swarm)}`);
    const m = median(macvlan);
    const am = median(apiMacvlan);
    console.log(`  Eru deploy on a MacVLAN network, Eru's addresses  ${fmt(m)}   trials ${macvlan.map(fmt).join(', ')}`);
    console.log(`  Engine API on the same network, fixed addresses    ${fmt(am)}   trials ${apiMacvlan.map(fmt).join(', ')}`);
    const [t, ct] = [median(tiny), median(cliTiny)];
    console.log(`  Eru deploy, 40 × 0.01 CPU (quota once running)     ${fmt(t)}   trials ${tiny.map(fmt).join(', ')}`);
    console.log(`  docker run -d --cpus 0.01 (quota from the start)   ${fmt(ct)}   trials ${cliTiny.map(fmt).join(', ')}`);
    console.log(`ratios: Eru / Engine API ×${(e / a).toFixed(2)} (target ≤ 1.15: ${e / a <= 1.15 ? 'ok' : 'MISSED'}); Eru / docker run ×${(e / c).toFixed(2)}; Swarm / Eru ×${(swarm / e).toFixed(2)} (target > 1: ${swarm > e ? 'ok' : 'MISSED'})`);
    console.log(`        macvlan / default bridge ×${(m / e).toFixed(2)} (target ≤ 1.15: ${m / e <= 1.15 ? 'ok' : 'MISSED'}); Docker's own macvlan / bridge ×${(am / a).toFixed(2)}; Eru / Engine API on macvlan ×${(m / am).toFixed(2)}`);
    console.log(`        Eru 40 × 0.01 CPU / docker run ×${(t / c).toFixed(2)} (target ≤ 1.15: ${t / c <= 1.15 ? 'ok' : 'MISSED'}); docker run --cpus 0.01 / docker run ×${(ct / c).toFixed(2)}`);
  } finally {
    await removePodContainers(docker, 'bench');
    await removePodContainers(docker, 'bench-baseline');
    await core.api('DELETE', '/v1/networks/benchnet');
    await core.stop();
    await dir.remove();
    l2.remove();
  }
}

await main();
