/**
 * Chaos under load (`npm run bench:chaos -- --rounds 10`), everything on loopback and bounded:
 *   - two cores on a three-member etcd (harness EtcdCluster), the bus on a three-master Redis Cluster
 *     (harness RedisCluster), two nodes each on a Docker daemon of its own (harness ExtraDaemon) with
 *     its agent given both cores;
 *   - two clients (EruClient with both cores' URLs) deploy, and remove, one container at a time without
 *     pause, each call at most 60 s;
 *   - each round SIGKILLs one process picked at random — a core, an etcd member, a dockerd (with its
 *     containers: a host losing power), an agent, a Redis node — waits, starts it again, waits for the
 *     intents to settle, then runs `eru check` (the CLI, not this script's own reckoning) and counts its findings;
 *   - two event consumers run throughout: a watch through the API (EruClient.events, both cores) and a
 *     Redis subscriber that replays what it misses (subscribeWithoutGaps); at the end each is compared
 *     with the event log.
 * Prints kills by kind, client calls that failed (each with its error), drift after each round (leaked,
 * lost, double holds), events lost or seen twice by each consumer, and calls per second during the
 * faults against the same load without them.
 */
import { writeFileSync } from 'node:fs';
import { EruClient } from 'eru-client';
import type { CheckReport } from '../src/contract/check.js';
import { AgentProcess } from '../harness/agent.js';
import { runEru } from '../harness/cli.js';
import { CoreProcess, TEST_TOKEN } from '../harness/core.js';
import { BASE_IMAGE } from '../harness/docker.js';
import { ExtraDaemon } from '../harness/dockerd.js';
import { EtcdCluster } from '../harness/etcd.js';
import { RedisCluster } from '../harness/redis-cluster.js';
import { openBus } from '../src/bus/index.js';
import { subscribeWithoutGaps } from '../src/bus/resume.js';
import type { EruEvent } from '../src/contract/events.js';
import { eventually } from '../harness/services.js';

const ROUNDS = Number(process.argv[process.argv.indexOf('--rounds') + 1] ?? NaN) || 10;
const POD = 'chaos';
const KINDS = ['core', 'etcd member', 'dockerd', 'agent', 'redis node'] as const;
type Kind = (typeof KINDS)[number];
const BASELINE_MS = 20_000;
const DOWN_MS = 3000;
const SETTLE_MS = 60_000;

interface Tally {
  calls: number;
  /** Calls that did what they asked: throughput counts these only (a refusal answers fast). */
  done: number;
  failed: Array<{ call: string; error: string }>;
}

async function main(): Promise<void> {
  // The extra daemons take the base image from the host's own Docker.
  process.env.ERU_TEST_DOCKER ??= 'unix:///var/run/docker.sock';
  const etcd = await EtcdCluster.start(3);
  const redis = await RedisCluster.start(3);
  const cores: CoreProcess[] = [];
  const daemons: ExtraDaemon[] = [];
  const agents: AgentProcess[] = [];
  try {
    for (let i = 0; i < 2; i++) cores.push(await CoreProcess.start(etcd.url, ['--bus', redis.url, '--node-ttl', '5']));
    const urls = cores.map((c) => c.url).join(',');
    const admin = new EruClient({ url: urls, token: TEST_TOKEN });
    // The two consumers, from before the pod exists.
    const consumers = await startConsumers(admin, redis.url);
    await admin.pods.create({ name: POD });
    for (let i = 0; i < 2; i++) {
      const daemon = await ExtraDaemon.start(8 + i);
      daemons.push(daemon);
      const name = `chaos-n${i}`;
      await admin.nodes.add(POD, { name, endpoint: daemon.endpoint });
      const { token } = await admin.nodes.issueToken(name);
      const agent = new AgentProcess(urls, name, token, daemon.endpoint, { heartbeatMs: 1000, checkMs: 3000 });
      agent.start();
      agents.push(agent);
    }
    await eventually(async () => (await admin.nodes.list(POD)).every((n) => n.liveness.state === 'up'), 30_000, 'both nodes up');

    let stop = false;
    const tally: Tally = { calls: 0, done: 0, failed: [] };
    const client = async (n: number): Promise<void> => {
      const eru = new EruClient({ url: n === 0 ? urls : [...cores].reverse().map((c) => c.url).join(','), token: TEST_TOKEN });
      const mine: string[] = [];
      for (let i = 0; !stop && i < 100_000; i++) {
        const call = mine.length < 3 ? 'deploy' : 'remove';
        try {
          await withDeadline(
            (async () => {
              if (call === 'deploy') {
                const result = await eru.deploy({ pod: POD, app: 'chaos', entry: `c${n}`, image: BASE_IMAGE, command: ['sleep', '3600'], count: 1, cpu: 0.05, keep: false });
                if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
                mine.push(result.workloads[0]!.id);
                tally.done++;
              } else {
                await eru.workloads.remove(mine[0]!);
                mine.shift();
                tally.done++;
              }
            })(),
            60_000,
          );
        } catch (error) {
          const message = (error as Error).message;
          // A deploy refused for want of room (a node down) is an answer, not a failure.
          if (!/INSUFFICIENT_CAPACITY|no node|not enough/.test(message)) tally.failed.push({ call, error: message.slice(0, 300) });
          if (call === 'remove' && /not found/i.test(message)) mine.shift();
        }
        tally.calls++;
      }
    };
    const clients = [client(0), client(1)];

    // Throughput without faults first.
    const calmStart = tally.done;
    await sleep(BASELINE_MS);
    const calmRate = (tally.done - calmStart) / (BASELINE_MS / 1000);

    const kills: Record<Kind, number> = { core: 0, 'etcd member': 0, dockerd: 0, agent: 0, 'redis node': 0 };
    const drift: Array<{ round: number; kind: Kind; findings: number; kinds: string }> = [];
    const faultStart = { done: tally.done, at: performance.now() };
    for (let round = 1; round <= ROUNDS; round++) {
      const kind = KINDS[Math.floor(Math.random() * KINDS.length)]!;
      const which = Math.floor(Math.random() * (kind === 'redis node' || kind === 'etcd member' ? 3 : 2));
      kills[kind]++;
      process.stdout.write(`round ${round}: SIGKILL ${kind} ${which} … `);
      if (kind === 'core') await cores[which]!.stop('SIGKILL');
      else if (kind === 'etcd member') await etcd.kill(which);
      else if (kind === 'dockerd') await daemons[which]!.kill();
      else if (kind === 'agent') await agents[which]!.stop('SIGKILL');
      else await redis.kill(which);
      await sleep(DOWN_MS);
      if (kind === 'core') await cores[which]!.start();
      else if (kind === 'etcd member') etcd.restart(which);
      else if (kind === 'dockerd') await daemons[which]!.restart();
      else if (kind === 'agent') agents[which]!.start();
      else redis.restart(which);
      // Settled: both nodes up, and no intent left by a core that died (the clients keep deploying, so intents of live cores come and go).
      await eventually(
        async () => {
          const [nodes, intents, live] = await Promise.all([admin.nodes.list(POD), admin.workloads.intents(), admin.cores()]).catch(() => [[], [], []] as const);
          const alive = new Set(live.map((c) => c.id));
          return nodes.length === 2 && nodes.every((n) => n.liveness.state === 'up') && live.length === 2 && intents.every((i) => alive.has(i.owner));
        },
        SETTLE_MS,
        'the cluster to settle',
      ).catch(() => undefined);
      const checked = await runEru(['--json', 'check', '--pod', POD], { env: { ERU_URL: urls, ERU_TOKEN: TEST_TOKEN } });
      const report = JSON.parse(checked.stdout || '{"findings":[]}') as CheckReport;
      // Service counts aside: these instances are not kept.
      const findings = report.findings.filter((f) => f.kind !== 'service');
      drift.push({ round, kind, findings: findings.length, kinds: findings.map((f) => `${f.kind} ${f.subject}`).join('; ') });
      console.log(findings.length === 0 ? 'eru check: no drift' : `eru check: ${findings.length} finding(s): ${drift.at(-1)!.kinds}`);
      // What a check finds (a container leaked by a kill mid-create) is repaired for the next round.
      if (findings.length > 0) {
        for (let pass = 0; pass < 2; pass++) await runEru(['check', '--pod', POD, '--repair'], { env: { ERU_URL: urls, ERU_TOKEN: TEST_TOKEN } });
      }
    }
    const faultRate = (tally.done - faultStart.done) / ((performance.now() - faultStart.at) / 1000);
    stop = true;
    await Promise.all(clients);

    const events = await consumers.compare(admin).catch((error: unknown) => {
      console.log(`comparing the consumers with the event log failed: ${(error as Error).message}`);
      return { logged: -1, watch: { lost: -1, twice: -1, resumed: -1 }, bus: { lost: -1, twice: -1, catchUps: -1, replayed: -1 } };
    });
    const final = JSON.parse((await runEru(['--json', 'check', '--pod', POD], { env: { ERU_URL: urls, ERU_TOKEN: TEST_TOKEN } })).stdout) as CheckReport;
    const leaks = final.findings.filter((f) => f.kind === 'leaked' || f.kind === 'lost').length;
    const doubles = final.findings.filter((f) => /claimed by|published by \d+ workloads|held twice|held whole and shared/.test(f.message)).length;
    console.log(`\n${ROUNDS} rounds; kills: ${Object.entries(kills).map(([k, n]) => `${k} ${n}`).join(', ')}`);
    console.log(`client calls: ${tally.calls}; failed without being retried: ${tally.failed.length}`);
    // Grouped: the same error on another workload is the same failure.
    const grouped = new Map<string, number>();
    for (const f of tally.failed) {
      const what = `${f.call}: ${f.error.replace(/\b[a-z0-9]+_c[01]_[a-z0-9]+\b/g, 'W').replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, 'T').replace(/\/tmp\/eru-d\d-\w+/g, 'D')}`;
      grouped.set(what, (grouped.get(what) ?? 0) + 1);
    }
    for (const [what, n] of [...grouped].sort((a, b) => b[1] - a[1])) console.log(`  ${n} × ${what}`);
    console.log(`drift after the rounds (eru check, before any repair): ${drift.filter((d) => d.findings > 0).length} round(s) with findings${drift.some((d) => d.findings > 0) ? `: ${drift.filter((d) => d.findings > 0).map((d) => `round ${d.round} (${d.kind}): ${d.kinds}`).join(' | ')}` : ''}`);
    console.log(`at the end: leaks ${leaks}, double holds ${doubles}`);
    console.log(`events of the pod in the log: ${events.logged}; the API watch lost ${events.watch.lost}, saw ${events.watch.twice} twice (it resumed ${events.watch.resumed} time(s)); the Redis subscriber lost ${events.bus.lost}, saw ${events.bus.twice} twice (${events.bus.catchUps} catch-up(s) replayed ${events.bus.replayed})`);
    console.log(`throughput (calls that did what they asked): ${calmRate.toFixed(2)}/s without faults, ${faultRate.toFixed(2)}/s during them (×${(faultRate / calmRate).toFixed(2)})`);
    writeFileSync('/tmp/eru-bench-chaos.json', JSON.stringify({ rounds: ROUNDS, kills, calls: tally.calls, failed: tally.failed, drift, leaks, doubles, events, calmRate, faultRate }, null, 2));
    const eventsWhole = events.logged > 0 && events.watch.lost + events.watch.twice + events.bus.lost + events.bus.twice === 0;
    process.exitCode = leaks === 0 && doubles === 0 && eventsWhole ? 0 : 1;
  } finally {
    for (const agent of agents) await agent.stop().catch(() => undefined);
    for (const core of cores) await core.stop('SIGKILL').catch(() => undefined);
    for (const daemon of daemons) await daemon.stop().catch(() => undefined);
    await redis.stop().catch(() => undefined);
    await etcd.stop();
  }
}

/**
 * The two consumers of the pod's events: a watch through the API (resumed on the other core when its
 * core dies) and a Redis subscriber that replays what it missed. `compare` ends both and holds what
 * each got against the event log.
 */
async function startConsumers(admin: EruClient, busUrl: string) {
  const watched: EruEvent[] = [];
  const controller = new AbortController();
  let resumed = -1;
  const watching = (async () => {
    try {
      for await (const e of admin.events({ pod: POD }, () => resumed++, controller.signal, { giveUpMs: 300_000 })) watched.push(e);
    } catch (error) {
      console.log(`the API watch ended: ${(error as Error).message}`);
    }
  })();
  const bus = openBus(busUrl);
  const heard: EruEvent[] = [];
  const catchUps: Array<{ replayed: number; error?: unknown }> = [];
  const subscription = await subscribeWithoutGaps(bus, { kind: 'pod', pod: POD }, (since) => admin.events({ pod: POD, since, live: 'false' }), (e) => heard.push(e), (c) => catchUps.push(c));
  return {
    async compare(client: EruClient) {
      // A last change, so that a loss at the very end shows too (a subscriber learns of a gap at the next message).
      await client.pods.update(POD, { description: 'chaos over' });
      const done = (list: EruEvent[]): boolean => list.some((e) => e.type === 'pod.updated');
      await eventually(async () => done(watched) && done(heard), 120_000, 'the last change to reach both consumers').catch(() => undefined);
      controller.abort();
      await watching;
      await subscription.close();
      await bus.close();
      const logged: EruEvent[] = [];
      for await (const e of client.events({ pod: POD, since: '0' })) {
        logged.push(e);
        if (e.type === 'pod.updated') break;
      }
      const against = (got: EruEvent[]) => {
        const ids = got.map((e) => e.id);
        return { lost: logged.filter((e) => !ids.includes(e.id)).length, twice: ids.length - new Set(ids).size };
      };
      return {
        logged: logged.length,
        watch: { ...against(watched), resumed },
        bus: { ...against(heard), catchUps: catchUps.length, replayed: catchUps.reduce((sum, c) => sum + c.replayed, 0) },
      };
    },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([work, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms / 1000} s`)), ms)))]).finally(() => clearTimeout(timer));
}

await main();
