import { event, type Publish } from '../../bus/index.js';
import type { NodeCreate, NodePatch, NodeView } from '../../contract/nodes.js';
import { engineInfo, type EngineInfo } from '../../engine/docker.js';
import type { Engines } from '../../engine/engines.js';
import { probeParent } from '../../engine/networks.js';
import { conflict, internal, invalid, notFound } from '../../lib/errors.js';
import { formatMemory } from '../../lib/units.js';
import type { Node } from '../../model/node.js';
import type { NodeResources } from '../../model/resources.js';
import type { CoreContext } from '../context.js';
import { absent, del, put, unchanged, type Repositories } from '../repositories.js';
import { continueAfter, continuedFrom, DEFAULT_PAGE, type Page, type PageQuery } from '../../contract/query.js';
import { optimistic } from '../retry.js';
import { combine } from '../reservations/index.js';
import { closeLedger, guardLedger, openLedger, rewriteLedger } from '../reservations/ledger.js';
import { chooseCores, chooseMemory, reserveCores, resize, usage, validateNuma, withoutReserved } from './declared.js';
import { declareBack, declareGone } from './gone.js';
import { view } from './view.js';

/** Nodes: adding a Docker host to a pod, its labels and declared resources, and its CPU map. */
export class NodeService {
  private readonly repos: Repositories;
  private readonly publish: Publish;
  private readonly engines: Engines;

  constructor(
    private readonly context: CoreContext,
    private readonly inspectEngine: (target: { endpoint: string; tls?: Node['tls'] }) => Promise<EngineInfo> = engineInfo,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.repos = context.repos;
    this.publish = context.publish;
    this.engines = context.engines;
  }

  async add(podName: string, input: NodeCreate): Promise<NodeView> {
    const pod = await this.repos.pods.get(podName);
    if (!pod) throw notFound('pod', podName);
    if (await this.repos.nodes.get(input.name)) throw conflict(`node ${input.name} already exists`);
    this.engines.checkAllowed(input.endpoint);
    const info = await this.inspectEngine({ endpoint: input.endpoint, tls: input.tls });
    if (input.macvlanParent) await this.checkParent({ name: input.name, endpoint: input.endpoint, ...(input.tls ? { tls: input.tls } : {}) }, input.macvlanParent);
    const reservedCpus = input.reserveCpus ?? [];
    const cpus = withoutReserved(chooseCores(input, info), reservedCpus, ['reserveCpus']);
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
      reservedCpus,
      memory,
      ...(input.numa ? { numa: input.numa } : {}),
      ...(input.numaMemory ? { numaMemory: input.numaMemory } : {}),
      ...(input.macvlanParent ? { macvlanParent: input.macvlanParent } : {}),
      engine: info,
      createdAt: this.now().toISOString(),
    };
    const ledger: NodeResources = {
      cpus: Object.fromEntries(cpus.map((core) => [core, pod.value.sharebase])),
      shared: {},
      held: {},
      unboundPieces: 0,
      memory,
      memoryTotal: memory,
      ...(input.numa ? { numa: input.numa } : {}),
      ...(input.numaMemory ? { numaMemory: input.numaMemory } : {}),
    };
    // Every node added to the pod counts itself on the pod's record: many added at once take turns there.
    const added = await optimistic(`adding node ${input.name}`, async () => {
      const current = await this.repos.pods.get(podName);
      if (!current) throw notFound('pod', podName);
      const nodeKey = this.repos.nodes.key(node.name);
      const podKey = this.repos.pods.key(podName);
      const part = combine(openLedger(this.repos, node.name, ledger), {
        compares: [unchanged(podKey, current.revision), absent(nodeKey)],
        ops: [put(podKey, { ...current.value, nodeCount: current.value.nodeCount + 1 }), put(nodeKey, node)],
      });
      const done = await this.repos.commit(part.compares, part.ops);
      if (done) return view(node, ledger, current.value);
      if (await this.repos.nodes.get(node.name)) throw conflict(`node ${node.name} already exists`);
      return undefined;
    }, 200);
    this.publish(event('node.added', { pod: podName, node: node.name, data: { cpus: node.cpus.length, memory: node.memory } }));
    return added;
  }

  /** Every node (of a pod), by name. */
  async list(podName?: string): Promise<NodeView[]> {
    return (await this.page(podName, { limit: Number.MAX_SAFE_INTEGER })).items;
  }

  /**
   * One page of them, by name: at most `limit` (default DEFAULT_PAGE) after `continue`. From the
   * core's mirrors (caught up first), each page's measured use in one read.
   */
  async page(podName: string | undefined, query: PageQuery): Promise<Page<NodeView>> {
    if (podName !== undefined && !(await this.repos.pods.get(podName))) throw notFound('pod', podName);
    const pods = new Map((await this.repos.pods.list()).map((p) => [p.value.name, p.value]));
    const [nodeMirror, ledgers, statuses] = await Promise.all([this.repos.mirrored.nodes(), this.repos.mirrored.ledgers(), this.repos.mirrored.nodeStatus()]);
    await Promise.all([nodeMirror.fresh({ deletes: true }), ledgers.fresh(), statuses.fresh()]);
    const after = query.continue !== undefined ? continuedFrom(query.continue) : undefined;
    const limit = query.limit ?? DEFAULT_PAGE;
    const matching = nodeMirror
      .list()
      .map((n) => n.value)
      .filter((n) => (podName === undefined || n.pod === podName) && (after === undefined || n.name > after) && pods.has(n.pod))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const chosen = matching.slice(0, limit);
    const usage = await this.repos.alive.usageOf(chosen.map((n) => n.name));
    const items = chosen.map((node, i) => {
      const ledger = ledgers.get(node.name);
      if (!ledger) throw internal(`node ${node.name} has no ledger`);
      return view(node, ledger.value, pods.get(node.pod)!, statuses.get(node.name)?.value, usage[i]);
    });
    return { items, ...(matching.length > limit ? { next: continueAfter(chosen.at(-1)!.name) } : {}) };
  }

  async get(name: string): Promise<NodeView> {
    const node = await this.repos.nodes.get(name);
    if (!node) throw notFound('node', name);
    const pod = await this.repos.pods.get(node.value.pod);
    const status = await this.repos.nodeStatus.get(name);
    return view(node.value, await this.ledgerOf(name), pod!.value, status?.value, await this.repos.alive.get(name));
  }

  private async ledgerOf(name: string): Promise<NodeResources> {
    const ledger = await this.repos.ledgers.get(name);
    if (!ledger) throw internal(`node ${name} has no ledger`);
    return ledger.value;
  }

  /** A parent Eru's networks can sit on: the node's daemon must find the interface. */
  private async checkParent(target: Pick<Node, 'name' | 'endpoint' | 'tls'>, parent: string): Promise<void> {
    const problem = await probeParent(this.engines.get(target), parent);
    if (problem) throw invalid(['macvlanParent'], `the Docker daemon of ${target.name} cannot use interface ${parent} as a macvlan parent: ${problem}`);
  }

  async update(name: string, patch: NodePatch): Promise<NodeView> {
    const { gone, ...rest } = patch;
    if (gone !== undefined) {
      await (gone ? declareGone(this.context, name) : declareBack(this.context, name));
      if (Object.keys(rest).length === 0) return this.get(name);
    }
    return this.patch(name, rest);
  }

  private async patch(name: string, patch: Omit<NodePatch, 'gone'>): Promise<NodeView> {
    if (typeof patch.macvlanParent === 'string') {
      const node = await this.repos.nodes.get(name);
      if (!node) throw notFound('node', name);
      await this.checkParent(node.value, patch.macvlanParent);
    }
    const updated = await optimistic(`updating node ${name}`, async () => {
      const node = await this.repos.nodes.get(name);
      if (!node) throw notFound('node', name);
      const ledger = await this.repos.ledgers.get(name);
      const pod = await this.repos.pods.get(node.value.pod);
      if (!ledger || !pod) throw internal(`node ${name} is missing its ledger or pod`);

      const labels = { ...node.value.labels };
      for (const [key, value] of Object.entries(patch.labels ?? {})) {
        if (value === null) delete labels[key];
        else labels[key] = value;
      }
      let next: Node = { ...node.value, labels, bypass: patch.bypass ?? node.value.bypass };
      if (patch.macvlanParent !== undefined) {
        const { macvlanParent: _old, ...rest } = next;
        const holders = (await this.repos.workloads.list()).filter((w) => w.value.node === name && w.value.addresses.length > 0);
        if (holders.length > 0 && patch.macvlanParent !== node.value.macvlanParent) {
          throw conflict(`node ${name} has workloads on Eru's networks (${holders.map((w) => w.value.id).join(', ')}); remove them before changing its macvlan parent`);
        }
        next = patch.macvlanParent === null ? rest : { ...rest, macvlanParent: patch.macvlanParent };
      }
      if (patch.sharedRoot !== undefined) {
        const { sharedRoot: _old, ...rest } = next;
        next = patch.sharedRoot === null ? rest : { ...rest, sharedRoot: patch.sharedRoot };
      }
      let nextLedger = ledger.value;
      if (patch.cpu !== undefined || patch.cpus !== undefined || patch.memory !== undefined) {
        const resized = resize(next, ledger.value, patch, pod.value.sharebase);
        next = resized.node;
        nextLedger = resized.ledger;
      }
      if (patch.reserveCpus !== undefined) {
        const reserved = reserveCores(next, nextLedger, patch.reserveCpus, pod.value.sharebase);
        next = reserved.node;
        nextLedger = reserved.ledger;
      }
      const nodeKey = this.repos.nodes.key(name);
      // The ledger is rewritten when the node's cores or memory changed, and guarded either way.
      const ledgerPart = nextLedger !== ledger.value ? rewriteLedger(this.repos, name, ledger.revision, nextLedger) : guardLedger(this.repos, name, ledger.revision);
      const part = combine(ledgerPart, { compares: [unchanged(nodeKey, node.revision)], ops: [put(nodeKey, next)] });
      const done = await this.repos.commit(part.compares, part.ops);
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
      if (!ledger || !pod) throw internal(`node ${name} is missing its ledger or pod`);
      const inUse = usage(node.value, ledger.value, pod.value.sharebase);
      if (inUse.pieces > 0 || inUse.memory > 0) {
        throw conflict(
          `node ${name} still has workloads: ${inUse.pieces / pod.value.sharebase} CPU and ${formatMemory(inUse.memory)} in use; remove them first`,
        );
      }
      const nodeKey = this.repos.nodes.key(name);
      const podKey = this.repos.pods.key(pod.value.name);
      // Its agent's tokens and liveness go with it.
      const tokens = (await this.repos.tokens.list()).filter((t) => t.value.node === name).map((t) => del(this.repos.tokens.key(t.name)));
      // So do the shared volumes it kept (their data stays on the shared file system).
      const kept = (await this.repos.nodeVolumes.list(name)).map((v) => {
        const [app, volume] = v.name.split('/') as [string, string];
        return del(this.repos.nodeVolumes.key(name, app, volume));
      });
      const ledgerPart = closeLedger(this.repos, name, ledger.revision);
      const done = await this.repos.commit(
        [...ledgerPart.compares, unchanged(nodeKey, node.revision), unchanged(podKey, pod.revision)],
        [
          ...ledgerPart.ops,
          del(nodeKey),
          del(this.repos.nodeStatus.key(name)),
          ...tokens,
          ...kept,
          put(podKey, { ...pod.value, nodeCount: Math.max(0, pod.value.nodeCount - 1) }),
        ],
      );
      return done ? view(node.value, ledger.value, pod.value) : undefined;
    });
    // Its agent's tokens are refused by this core from now on (the others once their watch brings it).
    await (await this.repos.mirrored.tokens()).fresh({ deletes: true });
    this.publish(event('node.removed', { pod: removed.pod, node: name }));
    return removed;
  }
}

