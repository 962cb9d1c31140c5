import { EruError, ErrorCode, invalid, notFound } from '../../lib/errors.js';
import { randomSuffix } from '../../lib/ids.js';
import { cpuFor, ledgerPool } from '../../engine/cpu.js';
import type { Network } from '../../model/network.js';
import { cordonOf, type Node } from '../../model/node.js';
import type { Pod } from '../../model/pod.js';
import { serviceOnNode, type NodeResources } from '../../model/resources.js';
import type { Intent } from '../../model/intent.js';
import type { Workload, WorkloadSpec } from '../../model/workload.js';
import { capacityOf, planDeploy, SchedulingError, type CandidateNode, type CapacityReport, type DeployRequest, type PlanResult } from '../../scheduler/index.js';
import { hostPortsOf, portName } from '../../model/port.js';
import { absent, put, type Repositories, type Versioned } from '../repositories.js';
import { cursorAfter, pickAddresses } from '../networks/pool.js';
import { combine } from '../reservations/index.js';
import { moveAddressCursors, takeAddresses } from '../reservations/addresses.js';
import { readLedgers, takeCores, type Ledgers } from '../reservations/ledger.js';
import { takePorts } from '../reservations/ports.js';
import { takeVolumes } from '../reservations/volumes.js';
import { optimistic } from '../retry.js';
import { splitIntoParts } from './parts.js';
import { releaseIntent } from './rollback.js';

/**
 * Step 2 of a deploy, "reserve": read a pod's nodes, ledgers and workloads, plan with the pure
 * scheduler, and reserve in one transaction guarded by each touched ledger's revision, together with
 * the intent record. A concurrent change to any of those ledgers makes the transaction fail and the
 * plan is made again; there is no pod-wide lock.
 */
export interface PodState {
  pod: Versioned<Pod>;
  /** Nodes whose agent went quiet. */
  down: Set<string>;
  /** Nodes whose agent is alive but whose Docker did not answer it at the last heartbeat, with why. */
  unreachable: Map<string, string>;
  nodes: Map<string, Node>;
  /** Each node's ledger: what is free, and how many instances of each service it holds (deploys under way included). */
  ledgers: Map<string, Versioned<NodeResources>>;
  /** Node → its held host ports (`8080/tcp` → holder), read when the request publishes any. */
  ports: Map<string, Record<string, string>>;
}

export interface Reservation {
  /** Set when the deploy has nothing to place (FILL already filled): why; nothing was reserved or written. */
  alreadyDone?: string;
  /** EACH: the nodes left out, and why. */
  leftOut?: Record<string, string>;
  intent: Intent;
  /** The intent's revision once written, for the transaction that ends it. */
  revision: number;
  pod: Pod;
  nodes: Map<string, Node>;
  /** The macvlan networks the workloads join, by name. */
  networks: Map<string, Network>;
  /** For a service (a deploy, a scale, a replace; not a job): what to record of it at the commit. */
  service?: ServiceOrigin;
}

/** Where a service's instances came from: the request as given, and the version it resolved to. */
export interface ServiceOrigin {
  request: Record<string, unknown>;
  version?: string;
  /** The service's count once this is placed; without it, what it had plus what this places (a deploy). */
  desired?: number;
}

export interface PlacementRequest extends WorkloadSpec {
  count: number;
  strategy: DeployRequest['strategy'];
  limit: number;
  nodes: string[];
  nodeLabels: Record<string, string>;
  /** Network → the addresses asked for the instances, one each, in order. */
  fixedAddresses?: Record<string, string[]>;
  /** Network → false when its given addresses are an instance's own pool addresses kept (an in-place replace), not fixed ones. */
  addressesFixed?: Record<string, boolean>;
  service?: ServiceOrigin;
  /** A job's intent says so: it is listed as a job while it runs (core/workloads/held.ts). */
  intentKind?: 'deploy' | 'job';
  /** EACH: all or nothing. */
  strict?: boolean;
}

export async function loadPod(repos: Repositories, podName: string, options: { ports?: boolean; freshLedgers?: boolean } = {}): Promise<PodState> {
  const pod = await repos.pods.get(podName);
  if (!pod) throw notFound('pod', podName);
  // From this core's mirrors: nothing read per node, for 5,000 nodes at every deploy. Nodes and their
  // liveness caught up with the store first; ledgers as last seen (this core's own writes at once,
  // others' by the watch): a stale one fails its guarded transaction and is read again.
  const [nodeMirror, ledgerMirror, statusMirror] = await Promise.all([repos.mirrored.nodes(), repos.mirrored.ledgers(), repos.mirrored.nodeStatus()]);
  await Promise.all([nodeMirror.fresh(), statusMirror.fresh(), options.freshLedgers ? ledgerMirror.fresh() : undefined]);
  const nodes = new Map(nodeMirror.list().filter((n) => n.value.pod === podName).map((n) => [n.value.name, n.value]));
  const ledgers = new Map<string, Versioned<NodeResources>>();
  const unseen: string[] = [];
  for (const name of nodes.keys()) {
    const ledger = ledgerMirror.get(name);
    if (ledger) ledgers.set(name, { value: ledger.value, revision: ledger.revision });
    else unseen.push(name);
  }
  // A node added a moment ago through another core: its ledger read, not waited for.
  if (unseen.length > 0) for (const [name, ledger] of await readLedgers(repos, unseen)) ledgers.set(name, ledger);
  const statuses = statusMirror.list().filter((s) => nodes.has(s.name));
  const down = new Set(statuses.filter((s) => !s.value.up).map((s) => s.name));
  const unreachable = new Map(statuses.flatMap((s) => (s.value.up && s.value.engineError ? [[s.name, s.value.engineError] as const] : [])));
  const ports = new Map<string, Record<string, string>>();
  if (options.ports) {
    await Promise.all(
      [...nodes.keys()].map(async (name) => {
        const held = await repos.ports.list(name);
        ports.set(name, Object.fromEntries(held.map((h) => [h.name.replace('-', '/'), h.value.workload])));
      }),
    );
  }
  return { pod, down, unreachable, nodes, ledgers, ports };
}

function candidates(state: PodState, app?: string, entry?: string): CandidateNode[] {
  const service = app !== undefined && entry !== undefined ? serviceOnNode({ app, entry }) : undefined;
  return [...state.nodes.values()]
    .filter((node) => state.ledgers.has(node.name))
    .map((node) => ({
      name: node.name,
      ...state.ledgers.get(node.name)!.value,
      labels: node.labels,
      bypass: node.bypass,
      down: state.down.has(node.name),
      ...cordoned(node, state.unreachable.get(node.name)),
      macvlan: node.macvlanParent !== undefined,
      count: service === undefined ? 0 : (state.ledgers.get(node.name)!.value.held?.[service] ?? 0),
      ...(state.ports.has(node.name) ? { ports: state.ports.get(node.name)! } : {}),
    }));
}

/** Why a node takes nothing new: an operator's cordon first, then a Docker that does not answer. */
function cordoned(node: Node, engineError: string | undefined): { cordoned?: string } {
  const reason = cordonOf(node) ?? engineError;
  return reason ? { cordoned: reason } : {};
}

type SchedulingFields = Omit<PlacementRequest, keyof WorkloadSpec | 'fixedAddresses' | 'addressesFixed' | 'service' | 'intentKind'> &
  Pick<WorkloadSpec, 'cpu' | 'memory' | 'bind'> & { networks?: string[]; publish?: string[]; hostNetwork?: boolean };

function deployRequest(request: SchedulingFields): DeployRequest {
  return {
    cpu: request.cpu,
    memory: request.memory,
    bind: request.bind,
    count: request.count,
    strategy: request.strategy,
    limit: request.limit,
    filter: { names: request.nodes, labels: request.nodeLabels },
    macvlan: (request.networks?.length ?? 0) > 0,
    ...(request.strict ? { strict: true } : {}),
    ports: hostPortsOf({ publish: request.publish ?? [], ...(request.hostNetwork ? { hostNetwork: true } : {}) }).map(portName),
  };
}

/** Host mode, networks and shaping together make sense only so: checked before anything is planned. */
function checkNetworking(request: PlacementRequest): void {
  if (request.hostNetwork && request.networks.length > 0) throw invalid(['networks'], 'host mode uses the host\'s network: leave out networks');
  if (request.hostNetwork && request.publish.length > 0) throw invalid(['publish'], 'host mode: ports are the host\'s own, so nothing is published');
  if (request.rate && request.networks.length === 0) throw invalid(['rate'], 'rate shapes the macvlan interfaces: give a network');
  for (const name of Object.keys(request.fixedAddresses ?? {})) {
    if (!request.networks.includes(name)) throw invalid(['networks'], `addresses given for ${name}, which is not among the networks`);
  }
}

/** The networks of a request, each one the pod may use. */
async function loadNetworks(repos: Repositories, request: PlacementRequest): Promise<Map<string, Network>> {
  const networks = new Map<string, Network>();
  for (const [i, name] of request.networks.entries()) {
    const network = (await repos.networks.get(name))?.value;
    if (!network) throw new EruError(ErrorCode.NOT_FOUND, `network ${name} not found`, { path: ['networks', i] });
    if (network.pods.length > 0 && !network.pods.includes(request.pod)) {
      throw invalid(['networks', i], `network ${name} is not for pod ${request.pod} (it is for ${network.pods.join(', ')})`);
    }
    networks.set(name, network);
  }
  return networks;
}

/** The capacity-only dry run against the store. */
export async function podCapacity(repos: Repositories, podName: string, request: Omit<SchedulingFields, 'networks'> & { app?: string; entry?: string }): Promise<CapacityReport> {
  // What an operator is shown is as of now (a deploy instead finds out from its transaction).
  const state = await loadPod(repos, podName, { ports: (request.publish?.length ?? 0) > 0, freshLedgers: true });
  const memory = request.memory > 0 ? request.memory : state.pod.value.defaultMemory;
  return capacityOf({
    pod: podName,
    policy: state.pod.value,
    nodes: candidates(state, request.app, request.entry),
    request: { ...deployRequest({ ...request, memory }), count: 0 },
  });
}

/** What a pod gives a workload that does not say: its default memory limit, its pids limit. */
function withPodDefaults(request: PlacementRequest, pod: Pod): PlacementRequest {
  return { ...request, memory: request.memory > 0 ? request.memory : pod.defaultMemory, pidsLimit: request.pidsLimit ?? pod.pidsLimit };
}

/**
 * Reserves a request: one plan for all its instances, then one transaction per part (parts.ts: whole
 * nodes, each part within etcd's operations per transaction), each with its own intent. A part whose
 * ledgers changed since they were read is planned again on the same nodes (a concurrent deploy took
 * pieces there, usually leaving room); if a node no longer has room, or an address was taken, the
 * parts already written are given back and the whole request planned again.
 */
export async function reserve(
  repos: Repositories,
  asked: PlacementRequest,
  owner: string,
  now: () => Date = () => new Date(),
  onAttempt: () => void = () => undefined,
): Promise<Reservation[]> {
  checkNetworking(asked);
  const networks = await loadNetworks(repos, asked);
  return optimistic(`deploying ${asked.app}/${asked.entry} into pod ${asked.pod}`, async () => {
    onAttempt();
    const ports = hostPortsOf(asked).length > 0;
    let state = await loadPod(repos, asked.pod, { ports });
    const policy = state.pod.value;
    const request = withPodDefaults(asked, policy);
    // Each attempt its own tie-break: concurrent deploys then prefer different nodes among equals.
    const tieBreak = randomSuffix();
    const planOn = (on: PodState): PlanResult => planDeploy({ pod: request.pod, policy, nodes: candidates(on, request.app, request.entry), request: deployRequest(request), tieBreak });
    const first = attemptPlan(() => planOn(state));
    let plan: PlanResult;
    if (first && !first.leftOut) plan = first;
    else {
      // The mirrored ledgers may not show yet what another core just gave back: planned once more on them as they are now.
      state = await loadPod(repos, asked.pod, { ports, freshLedgers: true });
      plan = planOn(state);
    }
    const createdAt = now().toISOString();
    if (plan.alreadyDone !== undefined) {
      return [{ alreadyDone: plan.alreadyDone, intent: { id: 'none', kind: 'deploy', owner, createdAt, workloads: [] }, revision: 0, pod: policy, nodes: state.nodes, networks, ...(request.service ? { service: request.service } : {}) }];
    }
    // Addresses: the fixed ones asked for, or the next free ones after the pool's cursor; held keys are compared absent below.
    const addresses = new Map<string, string[]>();
    const cursors = new Map<string, string>();
    for (const [i, name] of request.networks.entries()) {
      const held = new Map((await repos.addresses.list(name)).map((h) => [h.name, h.value]));
      const fixed = request.fixedAddresses?.[name] ?? [];
      const before = await repos.addresses.cursor(name);
      const picked = pickAddresses(networks.get(name)!, held, plan.placements.length, fixed, ['networks', i, 'addresses'], before);
      addresses.set(name, picked);
      const after = cursorAfter(picked, fixed, before);
      if (after !== undefined && after !== before) cursors.set(name, after);
    }

    const plannedNodes = [...new Set(plan.placements.map((p) => p.node))].map((name) => state.nodes.get(name)!);
    // Every planned node checked for the shared volumes (and their directories named) before anything is written.
    const { dirs } = await takeVolumes(repos, request, policy, plannedNodes, createdAt);
    const { count: _count, strategy: _strategy, limit: _limit, nodes: _nodes, nodeLabels: _labels, fixedAddresses: _fixed, addressesFixed: _marks, service: _service, intentKind = 'deploy', strict: _strict, ...spec } = request;
    const workloads: Workload[] = plan.placements.map(({ node: nodeName, ...placement }, k) => ({
      ...spec,
      id: `${request.app}_${request.entry}_${randomSuffix()}`,
      node: nodeName,
      placement,
      addresses: request.networks.map((network) => ({
        network,
        address: addresses.get(network)![k]!,
        ...(request.fixedAddresses?.[network]?.length && request.addressesFixed?.[network] !== false ? { fixed: true } : {}),
      })),
      sharedDirs: dirs.get(nodeName) ?? [],
      cpuSettings: cpuFor(placement, policy.sharebase, ledgerPool(state.nodes.get(nodeName)!.cpus, state.ledgers.get(nodeName)!.value)),
      createdAt,
    }));
    const reserved: Reservation[] = [];
    const context = { repos, state, request, owner, createdAt, intentKind, networks, service: request.service, leftOut: plan.leftOut };
    const parts = splitIntoParts(workloads);
    for (const [i, part] of parts.entries()) {
      const written = await reservePart(context, part, i === 0 ? cursors : new Map());
      if (!written) {
        await Promise.all(reserved.map((r) => releaseIntent(repos, r.intent)));
        return undefined;
      }
      reserved.push(written);
      // A node split over parts: the next part compares its ledger as this one left it.
      const later = new Set(parts.slice(i + 1).flatMap((p) => p.map((w) => w.node)));
      const shared = [...new Set(part.map((w) => w.node))].filter((node) => later.has(node));
      if (shared.length > 0) for (const [node, ledger] of await readLedgers(repos, shared)) state.ledgers.set(node, ledger);
    }
    return reserved;
  });
}

/** A plan, or null when the pod (as seen) has no room for it. */
function attemptPlan(plan: () => PlanResult): PlanResult | null {
  try {
    return plan();
  } catch (error) {
    if (error instanceof SchedulingError) return null;
    throw error;
  }
}

/** Attempts at one part's transaction, each after planning it again on the same nodes, before the whole request is. */
const PART_ATTEMPTS = 5;

interface PartContext {
  repos: Repositories;
  state: PodState;
  request: PlacementRequest;
  owner: string;
  createdAt: string;
  intentKind: 'deploy' | 'job';
  networks: Map<string, Network>;
  service: ServiceOrigin | undefined;
  leftOut: Record<string, string> | undefined;
}

/** One part's holdings taken and its intent written in one transaction; null when it could not be (the caller plans again). */
async function reservePart(context: PartContext, planned: Workload[], cursors: ReadonlyMap<string, string>): Promise<Reservation | null> {
  const { repos, state, request, owner, createdAt, intentKind } = context;
  const policy = state.pod.value;
  let workloads = planned;
  let ledgers: Ledgers = state.ledgers;
  for (let attempt = 1; attempt <= PART_ATTEMPTS; attempt++) {
    const intent: Intent = { id: `${intentKind}-${Date.parse(createdAt).toString(36)}-${randomSuffix()}`, kind: intentKind, owner, createdAt, workloads };
    const intentKey = repos.intents.key(intent.id);
    const partNodes = [...new Set(workloads.map((w) => w.node))].map((name) => state.nodes.get(name)!);
    // One transaction: every holding of the part taken (core/reservations/) and its intent written, or nothing.
    const part = combine(
      takeCores(repos, ledgers, policy.sharebase, workloads),
      takeAddresses(repos, workloads),
      moveAddressCursors(repos, cursors),
      takePorts(repos, workloads),
      await takeVolumes(repos, request, policy, partNodes, createdAt),
      { compares: [absent(intentKey)], ops: [put(intentKey, intent)] },
    );
    const revision = await repos.commitAt(part.compares, part.ops);
    if (revision !== null) {
      return { intent, revision, pod: policy, nodes: state.nodes, networks: context.networks, ...(context.service ? { service: context.service } : {}), ...(context.leftOut ? { leftOut: context.leftOut } : {}) };
    }
    if (attempt === PART_ATTEMPTS) break;
    // Another deploy wrote one of these ledgers: the same instances on the same nodes, planned on what is there now.
    ledgers = await readLedgers(repos, partNodes.map((n) => n.name));
    const replanned = placeAgain(workloads, { ...state, ledgers: new Map(ledgers) }, request);
    if (!replanned) return null;
    workloads = replanned;
  }
  return null;
}

/** The part's instances planned again, each node taking as many as before (EACH, strict, on just that node); null when one no longer can. */
function placeAgain(workloads: readonly Workload[], state: PodState, request: PlacementRequest): Workload[] | null {
  const policy = state.pod.value;
  const byNode = new Map<string, Workload[]>();
  for (const workload of workloads) byNode.set(workload.node, [...(byNode.get(workload.node) ?? []), workload]);
  const placed: Workload[] = [];
  for (const [nodeName, onNode] of byNode) {
    if (!state.ledgers.has(nodeName)) return null;
    let plan: ReturnType<typeof planDeploy>;
    try {
      plan = planDeploy({
        pod: request.pod,
        policy,
        nodes: candidates(state, request.app, request.entry).filter((c) => c.name === nodeName),
        request: deployRequest({ ...request, nodes: [nodeName], nodeLabels: {}, count: onNode.length, strategy: 'EACH', limit: 0, strict: true }),
      });
    } catch {
      return null; // no longer room there
    }
    if (plan.placements.length !== onNode.length) return null;
    const pool = ledgerPool(state.nodes.get(nodeName)!.cpus, state.ledgers.get(nodeName)!.value);
    plan.placements.forEach(({ node: _node, ...placement }, i) => placed.push({ ...onNode[i]!, placement, cpuSettings: cpuFor(placement, policy.sharebase, pool) }));
  }
  return placed;
}
