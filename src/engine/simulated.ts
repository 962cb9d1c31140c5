import { createHash, randomBytes } from 'node:crypto';
import type Docker from 'dockerode';
import { EruError, ErrorCode } from '../lib/errors.js';
import { parseMemory } from '../lib/units.js';

/**
 * A SIMULATED Docker Engine: `sim://NAME?cores=48&memory=192GiB[&delay=2ms]`. It answers, from this
 * process's memory, the calls the core makes of a node's daemon (create, start, update, inspect,
 * list, remove, info), after `delay` each. It exists to measure the control plane — the store, the
 * scheduler, the bus, the API — at a size one machine cannot host (bench/c1m.ts); nothing else
 * depends on it, and a core refuses `sim://` nodes unless started with `--allow-simulated`.
 *
 * Each process has its own memory: a container one core made is not seen by another core's
 * simulation of the same node (a removal there finds it gone, which removal accepts).
 */
export interface SimulatedSpec {
  name: string;
  cores: number;
  memory: number;
  delayMs: number;
}

const SIM_ENDPOINT = /^sim:\/\/([a-z0-9][a-z0-9.-]{0,62})(?:\?(.*))?$/;

export function isSimulated(endpoint: string): boolean {
  return endpoint.startsWith('sim://');
}

/** Reads `sim://NAME?cores=N&memory=SIZE&delay=Nms`; defaults 48 cores, 192 GiB, no delay. */
export function parseSimulated(endpoint: string): SimulatedSpec {
  const match = SIM_ENDPOINT.exec(endpoint);
  if (!match) throw new EruError(ErrorCode.INVALID_ARGUMENT, `endpoint ${endpoint}: a simulated engine is sim://NAME?cores=48&memory=192GiB`, { path: ['endpoint'] });
  const query = new URLSearchParams(match[2] ?? '');
  for (const key of query.keys()) {
    if (!['cores', 'memory', 'delay'].includes(key)) throw new EruError(ErrorCode.INVALID_ARGUMENT, `endpoint ${endpoint}: unknown setting ${key} (cores, memory, delay)`, { path: ['endpoint'] });
  }
  const cores = Number(query.get('cores') ?? 48);
  if (!Number.isInteger(cores) || cores < 1 || cores > 4096) throw new EruError(ErrorCode.INVALID_ARGUMENT, `endpoint ${endpoint}: cores is a whole number from 1 to 4096`, { path: ['endpoint'] });
  const delay = /^(\d{1,5})ms$/.exec(query.get('delay') ?? '0ms');
  if (!delay) throw new EruError(ErrorCode.INVALID_ARGUMENT, `endpoint ${endpoint}: delay is milliseconds, e.g. 2ms`, { path: ['endpoint'] });
  return { name: match[1]!, cores, memory: parseMemory(query.get('memory') ?? '192GiB', ['endpoint']), delayMs: Number(delay[1]) };
}

interface SimulatedContainer {
  id: string;
  name: string;
  image: string;
  labels: Record<string, string>;
  hostConfig: Docker.HostConfig;
  running: boolean;
  pid: number;
  created: number;
}

/** Docker's answer for something it does not have: callers read `statusCode` 404 as "already gone". */
function missing(what: string): Error {
  return Object.assign(new Error(`(simulated) no such ${what}`), { statusCode: 404, json: { message: `no such ${what}` } });
}

function notSimulated(call: string): never {
  throw Object.assign(new Error(`a simulated engine does not do ${call}`), { statusCode: 501, json: { message: `a simulated engine does not do ${call}` } });
}

export class SimulatedEngine {
  private readonly containers = new Map<string, SimulatedContainer>();
  private readonly byName = new Map<string, string>();
  private nextPid = 1000;

  constructor(readonly spec: SimulatedSpec) {}

  /** This simulation typed as the dockerode client the core calls (the calls it does not simulate say so). */
  asDocker(): Docker {
    return this as unknown as Docker;
  }

  private async pause(): Promise<void> {
    if (this.spec.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.spec.delayMs));
  }

  private find(ref: string): SimulatedContainer {
    const found = this.containers.get(ref) ?? this.containers.get(this.byName.get(ref.replace(/^\//, '')) ?? '');
    if (!found) throw missing(`container ${ref}`);
    return found;
  }

  async ping(): Promise<string> {
    await this.pause();
    return 'OK';
  }

  async info(): Promise<Record<string, unknown>> {
    await this.pause();
    return { ServerVersion: 'simulated', OperatingSystem: `simulated (${this.spec.name})`, NCPU: this.spec.cores, MemTotal: this.spec.memory, Containers: this.containers.size };
  }

  async createContainer(options: Docker.ContainerCreateOptions): Promise<ReturnType<SimulatedEngine['getContainer']>> {
    await this.pause();
    const name = options.name ?? randomBytes(6).toString('hex');
    if (this.byName.has(name)) throw Object.assign(new Error(`(simulated) the name ${name} is in use`), { statusCode: 409, json: { message: `Conflict. The container name "/${name}" is already in use` } });
    const id = randomBytes(32).toString('hex');
    this.containers.set(id, { id, name, image: options.Image ?? '', labels: options.Labels ?? {}, hostConfig: { ...options.HostConfig }, running: false, pid: 0, created: Math.floor(Date.now() / 1000) });
    this.byName.set(name, id);
    return this.getContainer(id);
  }

  getContainer(ref: string) {
    return {
      id: ref,
      start: async (): Promise<void> => {
        await this.pause();
        const c = this.find(ref);
        if (!c.running) Object.assign(c, { running: true, pid: this.nextPid++ });
      },
      stop: async (): Promise<void> => {
        await this.pause();
        Object.assign(this.find(ref), { running: false, pid: 0 });
      },
      restart: async (): Promise<void> => {
        await this.pause();
        Object.assign(this.find(ref), { running: true, pid: this.nextPid++ });
      },
      update: async (changes: Docker.HostConfig): Promise<void> => {
        await this.pause();
        const c = this.find(ref);
        const { abortSignal: _signal, ...settings } = changes as Docker.HostConfig & { abortSignal?: AbortSignal };
        c.hostConfig = { ...c.hostConfig, ...settings };
      },
      inspect: async (): Promise<Record<string, unknown>> => {
        await this.pause();
        const c = this.find(ref);
        return {
          Id: c.id,
          Name: `/${c.name}`,
          Image: this.imageId(c.image),
          Config: { Image: c.image, Labels: c.labels },
          HostConfig: c.hostConfig,
          State: { Status: c.running ? 'running' : 'exited', Running: c.running, Pid: c.pid, ExitCode: 0, Health: undefined },
          NetworkSettings: { Networks: {} },
        };
      },
      remove: async (): Promise<void> => {
        await this.pause();
        const c = this.find(ref);
        this.containers.delete(c.id);
        this.byName.delete(c.name);
      },
      wait: async (): Promise<never> => notSimulated('wait'),
      exec: async (): Promise<never> => notSimulated('exec'),
      getArchive: async (): Promise<never> => notSimulated('getArchive'),
      putArchive: async (): Promise<never> => notSimulated('putArchive'),
      infoArchive: async (): Promise<never> => notSimulated('infoArchive'),
      logs: async (): Promise<never> => notSimulated('logs'),
      stats: async (): Promise<never> => notSimulated('stats'),
    };
  }

  /** Every container with every label asked for (`{filters: {label: ['k=v', …]}}`), as Docker lists them. */
  async listContainers(options: { all?: boolean; filters?: { label?: string[] } } = {}): Promise<Docker.ContainerInfo[]> {
    await this.pause();
    const wanted = (options.filters?.label ?? []).map((l) => l.split('=', 2) as [string, string | undefined]);
    return [...this.containers.values()]
      .filter((c) => (options.all || c.running) && wanted.every(([k, v]) => (v === undefined ? k in c.labels : c.labels[k] === v)))
      .map((c) => ({ Id: c.id, Names: [`/${c.name}`], Image: c.image, ImageID: this.imageId(c.image), Command: '', Created: c.created, Labels: c.labels, State: c.running ? 'running' : 'exited', Status: c.running ? 'Up' : 'Exited (0)', Ports: [], HostConfig: { NetworkMode: 'default' }, NetworkSettings: { Networks: {} }, Mounts: [] }));
  }

  /** Every image is there: the simulation measures placement, not pulls. */
  getImage(image: string) {
    return {
      inspect: async (): Promise<{ Id: string; RepoTags: string[] }> => {
        await this.pause();
        return { Id: this.imageId(image), RepoTags: [image] };
      },
      get: async (): Promise<never> => notSimulated('image export'),
      push: async (): Promise<never> => notSimulated('image push'),
    };
  }

  private imageId(image: string): string {
    return `sha256:${createHash('sha256').update(image).digest('hex')}`;
  }

  getNetwork = (): never => notSimulated('networks');
  createNetwork = (): never => notSimulated('networks');
  createImage = (): never => notSimulated('pulls');
  getExec = (): never => notSimulated('exec');
  getEvents = (): never => notSimulated('events');
}
