import { event, type Publish } from '../bus/index.js';
import { EruError, conflict, invalid, notFound } from '../lib/errors.js';
import { formatMemory } from '../lib/units.js';
import type { NodeResources } from '../scheduler/types.js';
import { absent, del, put, unchanged, type Repositories } from '../store/repositories.js';
import { engineInfo, type EngineInfo } from '../engine/docker.js';
import type { Node, NodeCreate, NodePatch, NodeView } from './model/node.js';
import type { Pod } from './model/pod.js';
import type { NodeStatus } from './model/status.js';
import { optimistic } from './retry.js';

/** Nodes: adding a Docker host to a pod, its labels and declared resources, and its CPU map. */
export class NodeService {
  constructor(
    private readonly repos: Repositories,
    private readonly publish: Publish = () => undefined,
    private readonly inspectEngine: (target: { endpoint: string; tls?: Node['tls'] }) => Promise<EngineInfo> = engineInfo,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async add(podName: string, input: NodeCreate): Promise<NodeView> {
    const pod = await this.repos.pods.get(podName);
    if (!pod) throw notFound('pod', podName);
    if (await this.repos.nodes.get(input.name)) throw conflict(`node ${input.name} already exists`);
    const info = await this.inspectEngine({ endpoint: input.endpoint, tls: input.tls });
    const cpus = chooseCores(input, info);
    const memory = chooseMemory(input.memory, info);
    validateNuma(input, cpus, memory);
    const node: Node = {
      name: input.name,
      pod: podName,
      endpoint: input.endpoint,
      ...(input.tls ? { tls: input.tls } : {}),
      labels: input.labels,
      bypass: false,
      cpus,
      memory,
      ...(input.numa ? { numa: input.numa } : {}),
      ...(input.numaMemory ? { numaMemory: input.numaMemory } : {}),
      engine: info,
      createdAt: this.now().toISOString(),
    };
    const ledger: NodeResources = {
      cpus: Object.fromEntries(cpus.map((core) => [core, pod.value.sharebase])),
      shared: {},
      unboundPieces: 0,
      memory,
      memoryTotal: memory,
      ...(input.numa ? { numa: input.numa } : {}),
      ...(input.numaMemory ? { numaMemory: input.numaMemory } : {}),
    };
    const added = await optimistic(`adding node ${input.name}`, async () => {
      const current = await this.repos.pods.get(podName);
      if (!current) throw notFound('pod', podName);
      const nodeKey = this.repos.nodes.key(node.name);
      const ledgerKey = this.repos.ledgers.key(node.name);
      const podKey = this.repos.pods.key(podName);
      const done = await this.repos.commit(
        [unchanged(podKey, current.revision), absent(nodeKey), absent(ledgerKey)],
        [put(podKey, { ...current.value, nodeCount: current.value.nodeCount + 1 }), put(nodeKey, node), put(ledgerKey, ledger)],
      );
      if (done) return view(node, ledger, current.value);
      if (await this.repos.nodes.get(node.name)) throw conflict(`node ${node.name} already exists`);
      return undefined;
    });
    this.publish(event('node.added', { pod: podName, node: node.name, data: { cpus: node.cpus.length, memory: node.memory } }));
    return added;
  }

  async list(podName?: string): Promise<NodeView[]> {
    if (podName !== undefined && !(await this.repos.pods.get(podName))) throw notFound('pod', podName);
    const pods = new Map((await this.repos.pods.list()).map((p) => [p.value.name, p.value]));
    const nodes = (await this.repos.nodes.list()).filter((n) => podName === undefined || n.value.pod === podName);
    const statuses = new Map((await this.repos.nodeStatus.list()).map((s) => [s.name, s.value]));
    return Promise.all(nodes.map(async ({ value }) => view(value, await this.ledgerOf(value.name), pods.get(value.pod)!, statuses.get(value.name))));
  }

  async get(name: string): Promise<NodeView> {
    const node = await this.repos.nodes.get(name);
    if (!node) throw notFound('node', name);
    const pod = await this.repos.pods.get(node.value.pod);
    const status = await this.repos.nodeStatus.get(name);
    return view(node.value, await this.ledgerOf(name), pod!.value, status?.value);
  }

  private async ledgerOf(name: string): Promise<NodeResources> {
    const ledger = await this.repos.ledgers.get(name);
    if (!ledger) throw new EruError('INTERNAL', `node ${name} has no ledger`, { status: 500 });
    return ledger.value;
  }

  async update(name: string, patch: NodePatch): Promise<NodeView> {
    const updated = await optimistic(`updating node ${name}`, async () => {
      const node = await this.repos.nodes.get(name);
      if (!node) throw notFound('node', name);
      const ledger = await this.repos.ledgers.get(name);
      const pod = await this.repos.pods.get(node.value.pod);
      if (!ledger || !pod) throw new EruError('INTERNAL', `node ${name} is missing its ledger or pod`, { status: 500 });

      const labels = { ...node.value.labels };
      for (const [key, value] of Object.entries(patch.labels ?? {})) {
        if (value === null) delete labels[key];
        else labels[key] = value;
      }
      let next: Node = { ...node.value, labels, bypass: patch.bypass ?? node.value.bypass };
      let nextLedger = ledger.value;
      if (patch.cpu !== undefined || patch.cpus !== undefined || patch.memory !== undefined) {
        const resized = resize(next, ledger.value, patch, pod.value.sharebase);
        next = resized.node;
        nextLedger = resized.ledger;
      }
      const nodeKey = this.repos.nodes.key(name);
      const ledgerKey = this.repos.ledgers.key(name);
      const done = await this.repos.commit(
        [unchanged(nodeKey, node.revision), unchanged(ledgerKey, ledger.revision)],
        [put(nodeKey, next), ...(nextLedger !== ledger.value ? [put(ledgerKey, nextLedger)] : [])],
      );
      return done ? view(next, nextLedger, pod.value) : undefined;
    });
    this.publish(event('node.updated', { pod: updated.pod, node: name, data: { labels: updated.labels, bypass: updated.bypass } }));
    return updated;
  }

  async remove(name: string): Promise<NodeView> {
    const removed = await optimistic(`removing node ${name}`, async () => {
      const node = await this.repos.nodes.get(name);
      if (!node) throw notFound('node', name);
      const ledger = await this.repos.ledgers.get(name);
      const pod = await this.repos.pods.get(node.value.pod);
      if (!ledger || !pod) throw new EruError('INTERNAL', `node ${name} is missing its ledger or pod`, { status: 500 });
      const inUse = usage(node.value, ledger.value, pod.value.sharebase);
      if (inUse.pieces > 0 || inUse.memory > 0) {
        throw conflict(
          `node ${name} still has workloads: ${inUse.pieces / pod.value.sharebase} CPU and ${formatMemory(inUse.memory)} in use; remove them first`,
        );
      }
      const nodeKey = this.repos.nodes.key(name);
      const ledgerKey = this.repos.ledgers.key(name);
      const podKey = this.repos.pods.key(pod.value.name);
      // Its agent's tokens and liveness go with it.
      const tokens = (await this.repos.tokens.list()).filter((t) => t.value.node === name).map((t) => del(this.repos.tokens.key(t.name)));
      const done = await this.repos.commit(
        [unchanged(nodeKey, node.revision), unchanged(ledgerKey, ledger.revision), unchanged(podKey, pod.revision)],
        [
          del(nodeKey),
          del(ledgerKey),
          del(this.repos.nodeStatus.key(name)),
          ...tokens,
          put(podKey, { ...pod.value, nodeCount: Math.max(0, pod.value.nodeCount - 1) }),
        ],
      );
      return done ? view(node.value, ledger.value, pod.value) : undefined;
    });
    this.publish(event('node.removed', { pod: removed.pod, node: name }));
    return removed;
  }
}

function chooseCores(input: { cpu?: number; cpus?: string[] }, info: EngineInfo): string[] {
  if (input.cpu !== undefined && input.cpus !== undefined) throw invalid(['cpus'], 'give cpu (a count) or cpus (a list), not both');
  if (input.cpus) {
    const seen = new Set<string>();
    input.cpus.forEach((core, i) => {
      if (seen.has(core)) throw invalid(['cpus', i], `core ${core} is listed twice`);
      if (Number(core) >= info.cpus) throw invalid(['cpus', i], `core ${core} does not exist: the daemon reports ${info.cpus} CPUs`);
      seen.add(core);
    });
    return [...input.cpus].sort((a, b) => Number(a) - Number(b));
  }
  const count = input.cpu ?? info.cpus;
  if (count > info.cpus) throw invalid(['cpu'], `${count} cores asked, but the daemon reports ${info.cpus} CPUs`);
  if (count < 1) throw invalid(['cpu'], 'the daemon reports no CPUs; give cpus explicitly');
  return Array.from({ length: count }, (_, i) => String(i));
}

function chooseMemory(memory: number | undefined, info: EngineInfo): number {
  if (memory === undefined) return info.memory;
  if (memory > info.memory) {
    throw invalid(['memory'], `${formatMemory(memory)} asked, but the daemon reports ${formatMemory(info.memory)}`);
  }
  return memory;
}

function validateNuma(input: NodeCreate, cpus: string[], memory: number): void {
  const owner = new Map<string, string>();
  for (const [numa, cores] of Object.entries(input.numa ?? {})) {
    cores.forEach((core, i) => {
      if (!cpus.includes(core)) throw invalid(['numa', numa, i], `core ${core} is not one of the node's cores`);
      const other = owner.get(core);
      if (other !== undefined) throw invalid(['numa', numa, i], `core ${core} is already in NUMA node ${other}`);
      owner.set(core, numa);
    });
  }
  let total = 0;
  for (const [numa, bytes] of Object.entries(input.numaMemory ?? {})) {
    if (!input.numa?.[numa]) throw invalid(['numaMemory', numa], `NUMA node ${numa} is not in numa`);
    total += bytes;
  }
  if (total > memory) throw invalid(['numaMemory'], `NUMA memory adds up to ${formatMemory(total)}, more than the node's ${formatMemory(memory)}`);
}

/** What workloads hold on a node: pieces taken from its cores and the shared pool, and memory. */
function usage(node: Node, ledger: NodeResources, sharebase: number): { pieces: number; memory: number } {
  let free = 0;
  for (const core of node.cpus) free += ledger.cpus[core] ?? 0;
  return { pieces: node.cpus.length * sharebase - free + ledger.unboundPieces, memory: node.memory - (ledger.memory ?? node.memory) };
}

/** New declared resources for a node, keeping everything workloads hold. */
function resize(node: Node, ledger: NodeResources, patch: NodePatch, sharebase: number): { node: Node; ledger: NodeResources } {
  if (patch.cpu !== undefined && patch.cpus !== undefined) throw invalid(['cpus'], 'give cpu (a count) or cpus (a list), not both');
  const cores = patch.cpus
    ? [...new Set(patch.cpus)].sort((a, b) => Number(a) - Number(b))
    : patch.cpu !== undefined
      ? Array.from({ length: patch.cpu }, (_, i) => String(i))
      : node.cpus;
  for (const core of cores) {
    if (Number(core) >= node.engine.cpus) {
      throw invalid([patch.cpus ? 'cpus' : 'cpu'], `core ${core} does not exist: the daemon reports ${node.engine.cpus} CPUs`);
    }
  }
  for (const core of node.cpus) {
    if (!cores.includes(core) && (ledger.cpus[core] ?? sharebase) < sharebase) {
      throw conflict(`core ${core} of node ${node.name} is in use and cannot be taken away`);
    }
  }
  const memory = patch.memory ?? node.memory;
  const used = node.memory - (ledger.memory ?? node.memory);
  if (memory < used) throw conflict(`node ${node.name} has ${formatMemory(used)} in use; cannot shrink its memory to ${formatMemory(memory)}`);
  if (memory > node.engine.memory) {
    throw invalid(['memory'], `${formatMemory(memory)} asked, but the daemon reports ${formatMemory(node.engine.memory)}`);
  }
  const cpus = Object.fromEntries(cores.map((core) => [core, ledger.cpus[core] ?? sharebase]));
  return {
    node: { ...node, cpus: cores, memory },
    ledger: { ...ledger, cpus, memory: memory - used, memoryTotal: memory },
  };
}

export function view(node: Node, ledger: NodeResources, pod: Pod, status?: NodeStatus): NodeView {
  const { tls, ...rest } = node;
  const sharebase = pod.sharebase;
  const cpuMap = node.cpus.map((core) => {
    const free = ledger.cpus[core] ?? 0;
    const state = free === sharebase ? ('free' as const) : free === 0 ? ('full' as const) : ('partial' as const);
    return { core, free, used: sharebase - free, state, fragments: ledger.shared[core] ?? 0 };
  });
  const freePieces = cpuMap.reduce((sum, c) => sum + c.free, 0) - ledger.unboundPieces;
  return {
    ...rest,
    tls: tls !== undefined,
    sharebase,
    resources: {
      cpuTotal: node.cpus.length,
      cpuFree: freePieces / sharebase,
      memoryTotal: node.memory,
      memoryFree: ledger.memory ?? node.memory,
      unboundCpu: ledger.unboundPieces / sharebase,
    },
    cpuMap,
    liveness: status ? { state: status.up ? 'up' : 'down', since: status.since, ...(status.reason ? { reason: status.reason } : {}) } : { state: 'unknown' },
  };
}
