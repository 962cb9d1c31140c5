import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type Docker from 'dockerode';
import { LABEL } from '../engine/spec.js';
import type { AgentState } from './state.js';

/** One container's counters, read from its cgroups (v1, cgroupfs driver) and its network namespace. */
export interface ContainerSample {
  workload: string;
  app: string;
  entry: string;
  pod: string;
  cpuSeconds: number;
  throttledPeriods: number;
  throttledSeconds: number;
  memoryUsage: number;
  memoryLimit: number;
  networkReceive: number;
  networkTransmit: number;
  blockRead: number;
  blockWrite: number;
  restarts: number;
}

export interface NodeSample {
  cpus: number;
  /** Each core's busy and total ticks since boot (USER_HZ), by core number. */
  cores: Array<{ busy: number; total: number }>;
  memoryTotal: number;
  memoryAvailable: number;
  load1: number;
}

const CGROUP = '/sys/fs/cgroup';

async function readNumber(path: string): Promise<number> {
  return Number((await readFile(path, 'utf8')).trim());
}

async function readOr<T>(read: () => Promise<T>, fallback: T): Promise<T> {
  try {
    return await read();
  } catch {
    return fallback;
  }
}

/** `nr_throttled 3` / `throttled_time 1200000` lines of cpu.stat. */
function statField(text: string, field: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${field} `));
  return line ? Number(line.split(' ')[1]) : 0;
}

/** Sum of received and sent bytes over the interfaces of a process's network namespace, loopback aside. */
function networkBytes(netDev: string): { receive: number; transmit: number } {
  let receive = 0;
  let transmit = 0;
  for (const line of netDev.split('\n').slice(2)) {
    const [name, rest] = line.split(':');
    if (!rest || name!.trim() === 'lo') continue;
    const fields = rest.trim().split(/\s+/).map(Number);
    receive += fields[0]!;
    transmit += fields[8]!;
  }
  return { receive, transmit };
}

function blockBytes(text: string, op: 'Read' | 'Write'): number {
  return text
    .split('\n')
    .filter((l) => l.split(' ')[1] === op)
    .reduce((sum, l) => sum + Number(l.split(' ')[2]), 0);
}

export async function sampleContainer(docker: Docker, id: string): Promise<ContainerSample | null> {
  const info = await docker.getContainer(id).inspect().catch(() => null);
  const labels = info?.Config.Labels ?? {};
  if (!info || !labels[LABEL.workload]) return null;
  const full = info.Id;
  const cpuStat = await readOr(() => readFile(`${CGROUP}/cpu/docker/${full}/cpu.stat`, 'utf8'), '');
  const blkio = await readOr(() => readFile(`${CGROUP}/blkio/docker/${full}/blkio.throttle.io_service_bytes`, 'utf8'), '');
  const net = info.State.Pid > 0 ? networkBytes(await readOr(() => readFile(`/proc/${info.State.Pid}/net/dev`, 'utf8'), '')) : { receive: 0, transmit: 0 };
  return {
    workload: labels[LABEL.workload]!,
    app: labels[LABEL.app] ?? '',
    entry: labels[LABEL.entry] ?? '',
    pod: labels[LABEL.pod] ?? '',
    cpuSeconds: (await readOr(() => readNumber(`${CGROUP}/cpuacct/docker/${full}/cpuacct.usage`), 0)) / 1e9,
    throttledPeriods: statField(cpuStat, 'nr_throttled'),
    throttledSeconds: statField(cpuStat, 'throttled_time') / 1e9,
    memoryUsage: await readOr(() => readNumber(`${CGROUP}/memory/docker/${full}/memory.usage_in_bytes`), 0),
    memoryLimit: info.HostConfig.Memory ?? 0,
    networkReceive: net.receive,
    networkTransmit: net.transmit,
    blockRead: blockBytes(blkio, 'Read'),
    blockWrite: blockBytes(blkio, 'Write'),
    restarts: info.RestartCount ?? 0,
  };
}

/** Each running Eru container of the node, sampled now (for metrics and the OOM guard). */
export async function sampleContainers(state: Pick<AgentState, 'docker' | 'listMine'>): Promise<ContainerSample[]> {
  const containers: ContainerSample[] = [];
  for (const info of await state.listMine()) {
    if (info.State !== 'running') continue;
    const sample = await sampleContainer(state.docker, info.Id);
    if (sample) containers.push(sample);
  }
  return containers;
}

export async function sampleNode(): Promise<NodeSample> {
  const meminfo = await readFile('/proc/meminfo', 'utf8');
  const kib = (field: string): number => Number(/\d+/.exec(meminfo.split('\n').find((l) => l.startsWith(`${field}:`)) ?? '0')![0]) * 1024;
  const load = (await readFile('/proc/loadavg', 'utf8')).split(' ');
  const cpus = (await readFile('/proc/cpuinfo', 'utf8')).split('\n').filter((l) => l.startsWith('processor')).length;
  return { cpus, cores: coreTicks(), memoryTotal: kib('MemTotal'), memoryAvailable: kib('MemAvailable'), load1: Number(load[0]) };
}

/** InfluxDB line protocol for one round of samples. */
export function toLineProtocol(node: string, nodeSample: NodeSample, containers: ContainerSample[], timeNs: bigint): string {
  const tag = (v: string): string => v.replace(/[ ,=]/g, '\\$&');
  const lines = [
    `eru_node,node=${tag(node)} cpus=${nodeSample.cpus}i,memory_total=${nodeSample.memoryTotal}i,memory_available=${nodeSample.memoryAvailable}i,load1=${nodeSample.load1} ${timeNs}`,
  ];
  for (const c of containers) {
    lines.push(
      `eru_container,node=${tag(node)},pod=${tag(c.pod)},app=${tag(c.app)},entry=${tag(c.entry)},workload=${tag(c.workload)} ` +
        `cpu_seconds=${c.cpuSeconds},throttled_periods=${c.throttledPeriods}i,throttled_seconds=${c.throttledSeconds},` +
        `memory_usage=${c.memoryUsage}i,memory_limit=${c.memoryLimit}i,network_receive=${c.networkReceive}i,network_transmit=${c.networkTransmit}i,` +
        `block_read=${c.blockRead}i,block_write=${c.blockWrite}i,restarts=${c.restarts}i ${timeNs}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Clock ticks per second in /proc/stat (USER_HZ, 100 on Linux). */
export const USER_HZ = 100;

/*
 * The heartbeat's figures are read synchronously: /proc and cgroup files are made in memory by the
 * kernel in microseconds, while an asynchronous read of each (50 containers: 200 thread-pool round
 * trips every heartbeat) cost more CPU than the reading itself.
 */

/** Each core's busy and total ticks since boot, by core number (idle and iowait count as idle). */
export function coreTicks(): Array<{ busy: number; total: number }> {
  const cores: Array<{ busy: number; total: number }> = [];
  for (const line of readFileSync('/proc/stat', 'utf8').split('\n')) {
    const match = /^cpu(\d+) (.*)$/.exec(line);
    if (!match) continue;
    // user nice system idle iowait irq softirq steal (guest time is already in user)
    const fields = match[2]!.trim().split(/\s+/).slice(0, 8).map(Number);
    const total = fields.reduce((a, b) => a + b, 0);
    cores[Number(match[1])] = { busy: total - fields[3]! - fields[4]!, total };
  }
  return cores;
}

/** A container's CPU time so far in nanoseconds (cgroup v1 cpuacct, cgroupfs driver), or null once it is gone. */
/** How long (ns) a container's quota has held it throttled so far (cgroup cpu.stat), or null when it has no such file. */
export function containerThrottledNs(fullId: string): number | null {
  try {
    return statField(readFileSync(`${CGROUP}/cpu/docker/${fullId}/cpu.stat`, 'utf8'), 'throttled_time');
  } catch {
    return null;
  }
}

export function containerCpuNs(fullId: string): number | null {
  try {
    return Number(readFileSync(`${CGROUP}/cpuacct/docker/${fullId}/cpuacct.usage`, 'utf8').trim());
  } catch {
    return null;
  }
}
