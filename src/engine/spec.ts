import type Docker from 'dockerode';
import type { Healthcheck } from '../model/workload.js';
import type { DockerCpu } from './cpu.js';

/** Labels that mark a container as Eru's, so an agent can rebuild its view from Docker alone. */
export const LABEL = {
  managed: 'eru.managed',
  app: 'eru.app',
  entry: 'eru.entry',
  pod: 'eru.pod',
  node: 'eru.node',
  workload: 'eru.workload',
  /** On networks Eru made: which of Eru's networks it is. */
  network: 'eru.network',
  /** Egress rate of the container's macvlan interfaces, for the agent to apply. */
  rate: 'eru.rate',
  /** The container's macvlan networks (comma-separated), whose interfaces the rate shapes. */
  macvlan: 'eru.macvlan',
} as const;

export interface ContainerInput {
  id: string;
  app: string;
  entry: string;
  pod: string;
  node: string;
  image: string;
  command: string[];
  env: Record<string, string>;
  labels: Record<string, string>;
  publish: string[];
  /** Exposed but not published. */
  expose?: string[];
  volumes: string[];
  /** An app.yaml's binds, checked on the node before the container is made. */
  binds?: readonly string[];
  /** Shared volumes: host directory → path in the container, as Mounts (a missing directory is an error, never made by Docker as root). */
  sharedMounts?: ReadonlyArray<{ source: string; target: string }>;
  restart: string;
  user?: string;
  workdir?: string;
  memory: number;
  cpu: DockerCpu;
  healthcheck?: Healthcheck;
  /** Eru's addresses on its macvlan networks, by network. */
  addresses?: ReadonlyArray<{ network: string; address: string }>;
  /** The host's network stack instead of a network of the container's own. */
  hostNetwork?: boolean;
  rate?: string;
  /** Capabilities given back (admin only); NET_RAW and MKNOD are dropped otherwise. */
  capAdd?: readonly string[];
  /** Most processes the container may have. */
  pidsLimit?: number;
}

/**
 * What every workload's container gets, whoever asks: no way to gain privileges (setuid, file
 * capabilities), no raw sockets (a workload could forge another's address on Eru's macvlan networks,
 * whose pools promise each address once) nor device nodes, and its log capped on the node's disk.
 */
export const DROPPED_CAPABILITIES = ['NET_RAW', 'MKNOD'] as const;
export const LOG_LIMITS = { 'max-size': '20m', 'max-file': '3' } as const;

const SECOND_NS = 1_000_000_000;

/**
 * Docker's HEALTHCHECK for a workload. Every value in the script is a validated number or a path of
 * letters, digits and . _ ~ / - (HealthcheckSchema), so nothing from the user is shell syntax.
 */
export function dockerHealthcheck(check: Healthcheck): Docker.ContainerCreateOptions['Healthcheck'] {
  // `nc -w` with no input connects and leaves: busybox builds without -z have it too.
  const steps = check.tcpPorts.map((port) => `nc -w 1 127.0.0.1 ${port} </dev/null`);
  if (check.http) {
    const { port, path, code } = check.http;
    steps.push(`wget -S -q -O /dev/null http://127.0.0.1:${port}${path} 2>&1 | grep -q 'HTTP/1.[01] ${code} '`);
  }
  return {
    Test: ['CMD-SHELL', steps.join(' && ')],
    Interval: check.intervalSeconds * SECOND_NS,
    Timeout: check.timeoutSeconds * SECOND_NS,
    Retries: check.retries,
  };
}

/**
 * The Docker create options for a workload. Everything from the user goes in as data (argv arrays,
 * env entries, label values): nothing is pasted into a shell line.
 */
export function containerSpec(input: ContainerInput): Docker.ContainerCreateOptions {
  const env = { ...input.env, ERU_APP: input.app, ERU_ENTRY: input.entry, ERU_POD: input.pod, ERU_NODE: input.node, ERU_WORKLOAD: input.id };
  const exposed: Record<string, object> = Object.fromEntries((input.expose ?? []).map((port) => [port, {}]));
  const bindings: Record<string, Array<{ HostIp: string; HostPort: string }>> = {};
  for (const publish of input.publish) {
    const [mapping, protocol = 'tcp'] = publish.split('/');
    const parts = mapping!.split(':');
    const [hostIp, hostPort, containerPort] = parts.length === 3 ? parts : ['127.0.0.1', ...parts];
    const key = `${containerPort}/${protocol}`;
    exposed[key] = {};
    (bindings[key] ??= []).push({ HostIp: hostIp!, HostPort: hostPort! });
  }
  const [restartName, retries] = input.restart.split(':');
  const addresses = input.addresses ?? [];
  return {
    name: input.id,
    Image: input.image,
    ...(input.command.length > 0 ? { Cmd: input.command } : {}),
    Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
    Labels: {
      ...input.labels,
      [LABEL.managed]: 'true',
      [LABEL.app]: input.app,
      [LABEL.entry]: input.entry,
      [LABEL.pod]: input.pod,
      [LABEL.node]: input.node,
      [LABEL.workload]: input.id,
      ...(addresses.length > 0 ? { [LABEL.macvlan]: addresses.map((a) => a.network).join(',') } : {}),
      ...(input.rate ? { [LABEL.rate]: input.rate } : {}),
    },
    ...(input.healthcheck ? { Healthcheck: dockerHealthcheck(input.healthcheck) } : {}),
    ...(input.user ? { User: input.user } : {}),
    ...(input.workdir ? { WorkingDir: input.workdir } : {}),
    ExposedPorts: exposed,
    HostConfig: {
      SecurityOpt: ['no-new-privileges'],
      CapDrop: DROPPED_CAPABILITIES.filter((cap) => !(input.capAdd ?? []).includes(cap)),
      ...(input.capAdd && input.capAdd.length > 0 ? { CapAdd: [...input.capAdd] } : {}),
      ...(input.pidsLimit !== undefined ? { PidsLimit: input.pidsLimit } : {}),
      LogConfig: { Type: 'json-file', Config: { ...LOG_LIMITS } },
      CpusetCpus: input.cpu.cpusetCpus,
      CpuShares: input.cpu.cpuShares,
      ...(input.cpu.cpuQuota > 0 ? { CpuQuota: input.cpu.cpuQuota, CpuPeriod: input.cpu.cpuPeriod } : {}),
      ...(input.cpu.cpusetMems !== undefined ? { CpusetMems: input.cpu.cpusetMems } : {}),
      ...(input.memory > 0 ? { Memory: input.memory, MemorySwap: input.memory } : {}),
      PortBindings: bindings,
      Binds: [...input.volumes, ...(input.binds ?? [])],
      ...(input.sharedMounts && input.sharedMounts.length > 0 ? { Mounts: input.sharedMounts.map((m) => ({ Type: 'bind' as const, Source: m.source, Target: m.target })) } : {}),
      RestartPolicy: { Name: restartName!, ...(retries ? { MaximumRetryCount: Number(retries) } : {}) },
      ...(input.hostNetwork ? { NetworkMode: 'host' } : addresses.length > 0 ? { NetworkMode: addresses[0]!.network } : {}),
    },
    // Each network with the address Eru chose: Docker's own IPAM only checks it.
    ...(addresses.length > 0
      ? { NetworkingConfig: { EndpointsConfig: Object.fromEntries(addresses.map((a) => [a.network, { IPAMConfig: { IPv4Address: a.address } }])) } }
      : {}),
  };
}
