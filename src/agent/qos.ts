import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type Docker from 'dockerode';
import { LABEL } from '../engine/spec.js';

const run = promisify(execFile);

const UNIT: Record<string, number> = { kbit: 1e3, mbit: 1e6, gbit: 1e9 };

/** `10mbit` → bits per second. */
export function rateBits(rate: string): number {
  const match = /^(\d+)(kbit|mbit|gbit)$/.exec(rate);
  if (!match) throw new Error(`cannot read rate ${rate}`);
  return Number(match[1]) * UNIT[match[2]!]!;
}

/** In the container's network namespace (entered from the host: the container needs no privilege). */
function inNamespace(pid: number, args: string[]): Promise<{ stdout: string }> {
  return run('nsenter', ['-t', String(pid), '-n', ...args]);
}

/**
 * QoS by address: egress shaping (a token bucket) on each macvlan interface of a container with an
 * `eru.rate` label. The interface is found by the MAC address Docker gave the container on that
 * network. Returns what was applied (`eth1: 10mbit`), or undefined when the container asks for none.
 */
export async function shapeContainer(docker: Docker, containerId: string, drivers: Map<string, string>): Promise<string | undefined> {
  const info = await docker.getContainer(containerId).inspect();
  const rate = info.Config.Labels?.[LABEL.rate];
  const pid = info.State.Pid;
  if (!rate || !info.State.Running || pid <= 0) return undefined;
  const bits = rateBits(rate);
  // 20 ms of traffic in the bucket, and never less than two full frames.
  const burst = Math.max(Math.ceil(bits / 8 / 50), 3200);
  const links = (await inNamespace(pid, ['ip', '-o', 'link'])).stdout.split('\n');
  const applied: string[] = [];
  for (const endpoint of Object.values(info.NetworkSettings.Networks ?? {})) {
    const driver = drivers.get(endpoint.NetworkID) ?? ((await docker.getNetwork(endpoint.NetworkID).inspect()) as { Driver: string }).Driver;
    drivers.set(endpoint.NetworkID, driver);
    if (driver !== 'macvlan' || !endpoint.MacAddress) continue;
    const line = links.find((l) => l.toLowerCase().includes(`link/ether ${endpoint.MacAddress.toLowerCase()}`));
    const iface = line ? /^\d+:\s+([^@:\s]+)/.exec(line)?.[1] : undefined;
    if (!iface) continue;
    await inNamespace(pid, ['tc', 'qdisc', 'replace', 'dev', iface, 'root', 'tbf', 'rate', `${bits}bit`, 'burst', String(burst), 'latency', '100ms']);
    applied.push(`${iface}: ${rate}`);
  }
  return applied.length > 0 ? applied.join(', ') : undefined;
}
