import { event } from '../../bus/index.js';
import type { ConnectBody, Endpoint, NetworkCreate, NetworkView } from '../../contract/networks.js';
import { engineMessage } from '../../engine/engines.js';
import { ensureMacvlanNetwork, removeMacvlanNetwork } from '../../engine/networks.js';
import { EruError, ErrorCode, conflict, invalid, notFound } from '../../lib/errors.js';
import { contains, formatIpv4, overlaps, parseCidr, parseIpv4 } from '../../lib/ipv4.js';
import type { Network } from '../../model/network.js';
import type { Workload } from '../../model/workload.js';
import type { CoreContext } from '../context.js';
import { absent, del, put, unchanged, type Repositories, type Versioned } from '../repositories.js';
import { combine, type TxnPart } from '../reservations/index.js';
import { giveAddress, moveAddressCursors, takeAddress } from '../reservations/addresses.js';
import { optimistic } from '../retry.js';
import { announceEndpoints, appEndpoints, type EndpointFilter } from './endpoints.js';
import { cursorAfter, pickAddresses, poolOf, poolSize } from './pool.js';
import { deadline } from '../../engine/docker.js';

/** Networks: adding and removing Eru's macvlan networks, what they hold, connecting workloads later, and where apps answer. */
export class NetworkService {
  constructor(
    private readonly context: CoreContext,
    /** A workload by the reference a user gives (its name, or its container id or a prefix of it). */
    private readonly resolve: (ref: string) => Promise<Versioned<Workload>>,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Where an app's workloads answer (endpoints.ts). */
  async endpoints(app: string, filter: EndpointFilter): Promise<Endpoint[]> {
    const { repos } = this.context;
    if (!(await repos.apps.get(app)) && !(await repos.workloads.list()).some((w) => w.value.app === app)) throw notFound('app', app);
    return appEndpoints(repos, app, filter);
  }

  async add(input: NetworkCreate): Promise<NetworkView> {
    const { repos, publish } = this.context;
    const subnet = parseCidr(input.subnet)!;
    const gateway = input.gateway ?? formatIpv4(subnet.prefix <= 30 ? subnet.base + 1 : subnet.base);
    if (!contains(subnet, parseIpv4(gateway)!)) throw invalid(['gateway'], `gateway ${gateway} is outside the subnet ${input.subnet}`);
    const range = input.range ? parseRange(input.range) : { from: subnet.prefix <= 30 ? subnet.base + 1 : subnet.base, to: subnet.prefix <= 30 ? subnet.last - 1 : subnet.last };
    if (!contains(subnet, range.from) || !contains(subnet, range.to)) throw invalid(['range'], `range ${input.range} is not inside the subnet ${input.subnet}`);
    for (const [i, pod] of (input.pods ?? []).entries()) if (!(await repos.pods.get(pod))) throw new EruError(ErrorCode.NOT_FOUND, `pod ${pod} not found`, { path: ['pods', i] });
    const network: Network = {
      name: input.name,
      subnet: input.subnet,
      gateway,
      range: { from: formatIpv4(range.from), to: formatIpv4(range.to) },
      ...(input.vlan !== undefined ? { vlan: input.vlan } : {}),
      pods: input.pods ?? [],
      createdAt: this.now().toISOString(),
    };
    if (poolSize(poolOf(network)) < 1) throw invalid(['range'], `range ${network.range.from}-${network.range.to} leaves no address to hand out`);
    for (const { value: other } of await repos.networks.list()) {
      if (other.name === network.name) throw conflict(`network ${network.name} already exists`);
      // Networks whose pods meet may land on the same node, where Docker keeps one address space per
      // daemon and one macvlan network per parent interface.
      const shared = sharedPods(network.pods, other.pods);
      if (shared === null) continue;
      if (overlaps(subnet, parseCidr(other.subnet)!)) {
        throw new EruError(ErrorCode.CONFLICT, `subnet ${network.subnet} overlaps network ${other.name} (${other.subnet}) on the same nodes (${shared}); give a subnet of its own, or pods apart`, { path: ['subnet'] });
      }
      if (other.vlan === network.vlan) {
        const parent = network.vlan === undefined ? 'parent interface (no VLAN)' : `VLAN ${network.vlan}`;
        throw new EruError(ErrorCode.CONFLICT, `network ${other.name} already sits on the same ${parent} on the same nodes (${shared}): Docker takes one macvlan network per parent; give --vlan, or pods apart`, { path: ['vlan'] });
      }
    }
    const key = repos.networks.key(network.name);
    if (!(await repos.commit([absent(key)], [put(key, network)]))) throw conflict(`network ${network.name} already exists`);
    publish(event('network.created', { data: { network: network.name, subnet: network.subnet, vlan: network.vlan } }));
    return this.view(network);
  }

  async list(): Promise<NetworkView[]> {
    return Promise.all((await this.context.repos.networks.list()).map((n) => this.view(n.value)));
  }

  async get(name: string): Promise<NetworkView> {
    return this.view(await this.network(name));
  }

  private async network(name: string): Promise<Network> {
    const network = await this.context.repos.networks.get(name);
    if (!network) throw notFound('network', name);
    return network.value;
  }

  private async view(network: Network): Promise<NetworkView> {
    const held = await this.context.repos.addresses.list(network.name);
    const size = poolSize(poolOf(network));
    const holders = held.map((h) => ({ address: h.name, ...h.value })).sort((a, b) => parseIpv4(a.address)! - parseIpv4(b.address)!);
    return { ...network, size, used: held.length, free: size - held.length, holders };
  }

  /** Refused while any address is held; the Docker networks Eru made on nodes go with it. */
  async remove(name: string): Promise<NetworkView> {
    const { repos, engines, publish, log } = this.context;
    const shown = await this.get(name);
    if (shown.used > 0) {
      throw conflict(`network ${name} still has ${shown.used} address(es) held: ${shown.holders.map((h) => `${h.address} by ${h.workload}`).join(', ')}`, { holders: shown.holders });
    }
    const record = await repos.networks.get(name);
    if (!record || !(await repos.commit([unchanged(repos.networks.key(name), record.revision)], [del(repos.networks.key(name)), del(repos.addresses.cursorKey(name))]))) {
      throw conflict(`network ${name} changed while being removed; try again`);
    }
    for (const { value: node } of await repos.nodes.list()) {
      if (!node.macvlanParent) continue;
      await removeMacvlanNetwork(engines.get(node), name).catch((error: unknown) => log.warn({ err: error, node: node.name, network: name }, 'cannot remove the Docker network'));
    }
    publish(event('network.removed', { data: { network: name } }));
    return shown;
  }

  /** Joins a running workload to a network: the address is taken in the store first, then Docker connects; undone if Docker refuses. */
  async connect(ref: string, body: ConnectBody): Promise<Workload> {
    const { repos, engines } = this.context;
    const find = (): Promise<Versioned<Workload>> => this.resolve(ref);
    const network = await this.network(body.network);
    const taken = await optimistic(`connecting to ${network.name}`, async () => {
      const { value: workload, revision } = await find();
      if (workload.hostNetwork) throw conflict(`${workload.id} uses the host's network; it cannot join ${network.name}`);
      if (workload.networks.includes(network.name)) throw conflict(`${workload.id} is on network ${network.name} already`);
      if (network.pods.length > 0 && !network.pods.includes(workload.pod)) throw conflict(`network ${network.name} is not for pod ${workload.pod} (it is for ${network.pods.join(', ')})`);
      const node = (await repos.nodes.get(workload.node))?.value;
      if (!node?.macvlanParent) throw conflict(`node ${workload.node} has no macvlan parent (eru node set ${workload.node} --macvlan-parent IFACE)`);
      const held = new Map((await repos.addresses.list(network.name)).map((h) => [h.name, h.value]));
      const fixed = body.address ? [body.address] : [];
      const before = await repos.addresses.cursor(network.name);
      const [address] = pickAddresses(network, held, 1, fixed, ['address'], before);
      const after = cursorAfter([address!], fixed, before);
      const next: Workload = { ...workload, networks: [...workload.networks, network.name], addresses: [...workload.addresses, { network: network.name, address: address! }] };
      const part = combine(
        recordChange(repos, workload.id, revision, next),
        takeAddress(repos, workload, network.name, address!),
        moveAddressCursors(repos, new Map(after === undefined || after === before ? [] : [[network.name, after]])),
      );
      const at = await repos.commitAt(part.compares, part.ops);
      return at === null ? undefined : { workload: next, before: workload, node, address: address!, revision: at };
    });
    try {
      const docker = engines.get(taken.node);
      await ensureMacvlanNetwork(docker, network, taken.node.macvlanParent!, taken.node.name);
      await docker.getNetwork(network.name).connect({ Container: taken.workload.id, EndpointConfig: { IPAMConfig: { IPv4Address: taken.address } }, ...deadline() });
    } catch (error) {
      // Docker refused: give the address back and the record its old networks.
      const undo = combine(recordChange(repos, taken.workload.id, taken.revision, taken.before), giveAddress(repos, taken.workload, network.name, taken.address));
      await repos.commit(undo.compares, undo.ops);
      throw new EruError(ErrorCode.ENGINE_ERROR, `connecting ${taken.workload.id} to ${network.name} on ${taken.node.name}: ${engineMessage(error)}`);
    }
    await announceEndpoints(this.context, [taken.workload.app]);
    return taken.workload;
  }

  /** Leaves a network: the address is given back in the store first, then Docker disconnects; undone if Docker refuses. */
  async disconnect(ref: string, networkName: string): Promise<Workload> {
    const { repos, engines } = this.context;
    const find = (): Promise<Versioned<Workload>> => this.resolve(ref);
    const left = await optimistic(`disconnecting from ${networkName}`, async () => {
      const { value: workload, revision } = await find();
      const held = workload.addresses.find((a) => a.network === networkName);
      if (!held) throw new EruError(ErrorCode.NOT_FOUND, `${workload.id} is not on network ${networkName}`, { path: ['network'] });
      const next: Workload = { ...workload, networks: workload.networks.filter((n) => n !== networkName), addresses: workload.addresses.filter((a) => a.network !== networkName) };
      const part = combine(recordChange(repos, workload.id, revision, next), giveAddress(repos, workload, networkName, held.address));
      const at = await repos.commitAt(part.compares, part.ops);
      return at === null ? undefined : { workload: next, before: workload, address: held.address, revision: at };
    });
    const node = (await repos.nodes.get(left.workload.node))?.value;
    try {
      if (node) await engines.get(node).getNetwork(networkName).disconnect({ Container: left.workload.id, Force: false, ...deadline() });
    } catch (error) {
      const undo = combine(recordChange(repos, left.workload.id, left.revision, left.before), takeAddress(repos, left.workload, networkName, left.address));
      const undone = await repos.commit(undo.compares, undo.ops);
      throw new EruError(ErrorCode.ENGINE_ERROR, `disconnecting ${left.workload.id} from ${networkName}: ${engineMessage(error)}${undone ? '' : ' (and the address was taken meanwhile)'}`);
    }
    await announceEndpoints(this.context, [left.workload.app]);
    return left.workload;
  }
}

/** A workload's record replaced, guarded by the revision it was read at. */
function recordChange(repos: Repositories, id: string, revision: number, next: Workload): TxnPart {
  const key = repos.workloads.key(id);
  return { compares: [unchanged(key, revision)], ops: [put(key, next)] };
}

/** Which pods two networks share, in words, or null when none (no pods listed means every pod). */
function sharedPods(a: readonly string[], b: readonly string[]): string | null {
  if (a.length === 0 && b.length === 0) return 'every pod';
  if (a.length === 0 || b.length === 0) return `pods ${(a.length === 0 ? b : a).join(', ')}`;
  const both = a.filter((pod) => b.includes(pod));
  return both.length > 0 ? `pods ${both.join(', ')}` : null;
}

function parseRange(text: string): { from: number; to: number } {
  const [fromText, toText] = text.split('-');
  const from = parseIpv4(fromText ?? '');
  const to = parseIpv4(toText ?? '');
  if (from === null || to === null) throw invalid(['range'], `cannot read range "${text}" (FROM-TO, e.g. 10.20.0.10-10.20.0.99)`);
  if (to < from) throw invalid(['range'], `range ${text} goes backwards`);
  return { from, to };
}

