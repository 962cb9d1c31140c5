/**
 * Failover benchmark (`npm run bench:failover`) on the local Docker daemon, measured in one run:
 *   - Eru: a kept service of 50 instances spread by AUTO over 5 nodes (each node an agent of its own on
 *     the local daemon, so a node's death is its agent SIGKILLed: the core stops hearing from it, as
 *     from a host that lost power). From the kill to 50 instances running off that node again, split
 *     into detection (until the core marks the node down: the node TTL), `lostAfter` (the wait the
 *     service asks for), and the keeper's planning and starting;
 *   - floor: TTL + lostAfter + the same number of containers made like Eru's and started with the
 *     Engine API by hand, all at once (create, start, until each runs).
 * Prints each part and the keeper's own overhead (total − floor). Target: ≤ 1 s.
 * Trials: 3 (a different node dies each time; the dead node's agent is started again between trials and
 * the surplus it brings back is removed by the keeper before the next).
 */
import type Docker from 'dockerode';
import type { EruEvent } from '../src/contract/events.js';
import type { WorkloadListItem } from '../src/contract/workloads.js';
import { AgentProcess } from '../harness/agent.js';
import { CoreProcess, tempDir } from '../harness/core.js';
import { BASE_IMAGE, removePodContainers, testDocker } from '../harness/docker.js';
import { eventually } from '../harness/services.js';
import { median } from './support/figures.js';

const NODES = 5;
const COUNT = 50;
const TTL = 2;
const LOST_AFTER = 2;
const TRIALS = 3;
const POD = 'fobench';
const APP = 'fobench';
const BASELINE = 'fobench-baseline';
const ENDPOINT = 'unix:///var/run/docker.sock';
const docker = testDocker(ENDPOINT);

const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

/** Containers made as Eru made `model`, created and started at once by hand; ms until each runs. */
async function plainStart(model: Docker.ContainerInspectInfo, count: number, trial: number): Promise<number> {
  const { CpusetCpus, CpuShares, CpuQuota, CpuPeriod, Memory } = model.HostConfig;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const container = await docker.createContainer({
        name: `${BASELINE}-${trial}-${i}`,
        Image: model.Config.Image,
        Cmd: model.Config.Cmd,
        User: model.Config.User,
        Labels: { 'eru.pod': BASELINE },
        HostConfig: { CpusetCpus, CpuShares, CpuQuota, CpuPeriod, Memory },
      });
      await container.start();
    }),
  );
  return performance.now() - started;
}

async function main(): Promise<void> {
  const dir = await tempDir('eru-fobench-');
  const core = await CoreProcess.start(`embedded:${dir.path}/eru.db`, ['--node-ttl', String(TTL)]);
  const agents = new Map<string, AgentProcess>();
  const startAgent = async (node: string): Promise<void> => {
    const token = (await core.api<{ token: string }>('POST', `/v1/nodes/${node}/tokens`)).body.token;
    const agent = new AgentProcess(core.url, node, token, ENDPOINT);
    agent.start();
    agents.set(node, agent);
  };
  const running = async (): Promise<WorkloadListItem[]> => (await core.api<WorkloadListItem[]>('GET', `/v1/workloads?pod=${POD}&app=${APP}`)).body;
  const events: Array<{ at: number; event: EruEvent }> = [];
  const watch = new AbortController();
  try {
    await core.api('POST', '/v1/pods', { name: POD, sharebase: 100 });
    const nodes = Array.from({ length: NODES }, (_, i) => `fo${i + 1}`);
    for (const node of nodes) {
      const added = await core.api('POST', `/v1/pods/${POD}/nodes`, { name: node, endpoint: ENDPOINT, cpus: ['0', '1'], memory: '8GiB' });
      if (added.status !== 201) throw new Error(`adding ${node}: ${JSON.stringify(added.body)}`);
      await startAgent(node);
    }
    for (const node of nodes) await eventually(async () => (await core.api<{ liveness: { state: string } }>('GET', `/v1/nodes/${node}`)).body.liveness.state === 'up', 15_000, `${node} up`);
    void (async () => {
      for await (const event of core.client.stream<EruEvent>('GET', `/v1/events?pod=${POD}`, undefined, undefined, watch.signal)) events.push({ at: performance.now(), event });
    })().catch(() => undefined);
    const deployed = await core.eru(['deploy', '--pod', POD, '--app', APP, '--image', BASE_IMAGE, '--count', String(COUNT), '--cpu', '0.02', '--lost-after', `${LOST_AFTER}s`, '--', 'sleep', '3600'], { timeoutMs: 300_000 });
    if (deployed.code !== 0) throw new Error(deployed.stderr);
    const model = await docker.getContainer((await running())[0]!.id).inspect();

    const rows: Array<{ lost: number; detection: number; waited: number; repair: number; total: number; floor: number; plain: number }> = [];
    for (let trial = 0; trial < TRIALS; trial++) {
      const dead = nodes[trial % NODES]!;
      const lost = (await running()).filter((w) => w.node === dead).length;
      events.length = 0;
      const killedAt = performance.now();
      await agents.get(dead)!.stop('SIGKILL');
      const backAt = await eventually(
        async () => {
          const live = (await running()).filter((w) => w.node !== dead && w.state === 'running');
          return live.length === COUNT ? performance.now() : undefined;
        },
        120_000,
        'the service back at its count',
      );
      const downAt = events.find((e) => e.event.type === 'node.down' && e.event.node === dead)?.at ?? Number.NaN;
      const plain = await plainStart(model, lost, trial);
      const total = backAt - killedAt;
      const detection = downAt - killedAt;
      const waited = LOST_AFTER * 1000;
      const floor = TTL * 1000 + waited + plain;
      rows.push({ lost, detection, waited, repair: total - detection - waited, total, floor, plain });
      console.log(
        `trial ${trial + 1}: ${lost} lost on ${dead}; detection ${s(detection)}, lostAfter ${s(waited)}, planning + starting ${s(total - detection - waited)}; total ${s(total)} against a floor of ${s(floor)} (TTL ${TTL} s + lostAfter + ${lost} plain starts ${s(plain)}): overhead ${s(total - floor)}`,
      );
      // The node comes back; the keeper removes what it still runs before the next trial.
      await startAgent(dead);
      await eventually(async () => (await running()).length === COUNT && (await running()).every((w) => w.state === 'running'), 60_000, 'the surplus removed');
      await removePodContainers(docker, BASELINE);
    }
    const overhead = median(rows.map((r) => r.total - r.floor));
    console.log('');
    console.log(`failover of a node's ${Math.min(...rows.map((r) => r.lost))}–${Math.max(...rows.map((r) => r.lost))} of ${COUNT} instances on ${NODES} nodes (median of ${TRIALS}): detection ${s(median(rows.map((r) => r.detection)))} (TTL ${TTL} s), lostAfter ${s(LOST_AFTER * 1000)}, planning + starting ${s(median(rows.map((r) => r.repair)))} (plain Engine-API starts ${s(median(rows.map((r) => r.plain)))})`);
    console.log(`total ${s(median(rows.map((r) => r.total)))} against a floor of ${s(median(rows.map((r) => r.floor)))}: the keeper's own overhead ${s(overhead)} (target ≤ 1 s) ${overhead <= 1000 ? 'OK' : 'OVER'}`);
  } finally {
    watch.abort();
    for (const agent of agents.values()) await agent.stop();
    await removePodContainers(docker, POD).catch(() => undefined);
    await removePodContainers(docker, BASELINE).catch(() => undefined);
    await core.stop();
    await dir.remove();
  }
}

await main();
