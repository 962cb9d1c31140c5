import type { DriftKind, Finding } from '../../contract/check.js';
import type { NodeResources } from '../../model/resources.js';
import { hostPortsOf } from '../../model/port.js';
import type { Workload } from '../../model/workload.js';
import { ledgerDrift } from '../../scheduler/index.js';

/** A container Docker has under Eru's labels on a node. */
export interface HostContainer {
  id: string;
  name: string;
  /** Its `eru.workload` label. */
  workload: string | undefined;
  running: boolean;
}

/** Everything the check compares, read once (gather.ts): the store's records and each node's containers. */
export interface CheckInput {
  /** Nodes whose Docker answered, with their containers, pod sharebase and declared memory. */
  nodes: ReadonlyArray<{ name: string; sharebase: number; memory: number | null; containers: readonly HostContainer[]; fenced: ReadonlySet<string> }>;
  ledgers: ReadonlyMap<string, NodeResources>;
  /** Recorded workloads. */
  recorded: readonly Workload[];
  /** Workloads only in an intent (a deploy creating them, a job, a removal under way): they may have a container, or not yet. */
  inIntents: readonly Workload[];
  /** Of those, the ones still holding pieces on their node's ledger (deploys and jobs; a removal gave them back). */
  intentHolders: readonly Workload[];
  addresses: ReadonlyArray<{ network: string; address: string; workload: string }>;
  ports: ReadonlyArray<{ node: string; key: string; workload: string }>;
  intents: ReadonlyArray<{ id: string; kind: string; owner: string; ownerAlive: boolean }>;
  services: ReadonlyArray<{ pod: string; app: string; entry: string; count: number; instances: number; locked: boolean }>;
}

/** What `--repair` would do about a finding (repair.ts carries it out, after reading again). */
export type Fix =
  | { type: 'remove-container'; node: string; container: string; workload: string | undefined }
  | { type: 'forget-workload'; workload: string }
  | { type: 'recompute-ledger'; node: string }
  | { type: 'release-address'; network: string; address: string; workload: string }
  | { type: 'hold-address'; network: string; address: string; workload: string; node: string }
  | { type: 'release-port'; node: string; key: string; workload: string }
  | { type: 'hold-port'; node: string; key: string; workload: string; address: string };

/** A finding with what would fix it; none when it is only reported (a duplicate, a stuck intent, a service the keeper converges). */
export type Drift = Finding & { fix?: Fix; left?: string };

/**
 * The check itself, pure: each kind of drift between the records and the hosts, in words, with the
 * subject `repair.ts` acts on. Nothing here decides whether a repair is safe; it only says what differs.
 */
export function findDrift(input: CheckInput): Drift[] {
  return [...containers(input), ...ledgers(input), ...addresses(input), ...ports(input), ...intents(input), ...services(input)];
}

const finding = (kind: DriftKind, subject: string, message: string, node: string | undefined, fix: Fix | { left: string }): Drift => ({
  kind,
  subject,
  message,
  ...(node ? { node } : {}),
  ...('type' in fix ? { fix } : { left: fix.left }),
});

/** Leaked: a container no record or intent claims. Lost: a record whose container is not on its (answering) node. */
function containers(input: CheckInput): Drift[] {
  const found: Drift[] = [];
  const claimed = new Set([...input.recorded, ...input.inIntents].map((w) => w.id));
  const inIntent = new Set(input.inIntents.map((w) => w.id));
  for (const node of input.nodes) {
    const present = new Set(node.containers.map((c) => c.workload).filter((w): w is string => w !== undefined));
    for (const container of node.containers) {
      // A fenced node's old containers are keeper/fence.ts's to remove.
      if (container.workload && (claimed.has(container.workload) || node.fenced.has(container.workload))) continue;
      found.push(finding('leaked', container.id, `container ${container.name} (${container.id.slice(0, 12)}, ${container.running ? 'running' : 'stopped'}) has Eru's labels${container.workload ? ` for workload ${container.workload}` : ''} but no record or intent claims it`, node.name, { type: 'remove-container', node: node.name, container: container.id, workload: container.workload }));
    }
    for (const workload of input.recorded) {
      if (workload.node !== node.name || present.has(workload.id) || inIntent.has(workload.id)) continue;
      found.push(finding('lost', workload.id, `workload ${workload.id} is recorded on ${node.name}, whose Docker has no container for it`, node.name, { type: 'forget-workload', workload: workload.id }));
    }
  }
  return found;
}

/** A ledger that is not its full size less what its holders hold (scheduler/invariants.ts). */
function ledgers(input: CheckInput): Drift[] {
  const holders = [...input.recorded, ...input.intentHolders];
  const byNode = new Map<string, Workload[]>();
  for (const holder of holders) byNode.set(holder.node, [...(byNode.get(holder.node) ?? []), holder]);
  const found: Drift[] = [];
  for (const node of input.nodes) {
    const ledger = input.ledgers.get(node.name);
    if (!ledger) continue;
    const drift = ledgerDrift(node.name, ledger, byNode.get(node.name) ?? [], { sharebase: node.sharebase, memory: node.memory });
    if (drift.length > 0) found.push(finding('ledger', node.name, drift.join('; '), node.name, { type: 'recompute-ledger', node: node.name }));
  }
  return found;
}

/** An address held for no one (its holder does not have it), one a workload has that is not held, one two workloads claim. */
function addresses(input: CheckInput): Drift[] {
  const found: Drift[] = [];
  const workloads = new Map([...input.recorded, ...input.inIntents].map((w) => [w.id, w]));
  const held = new Map(input.addresses.map((a) => [`${a.network}/${a.address}`, a.workload]));
  for (const { network, address, workload } of input.addresses) {
    const holder = workloads.get(workload);
    if (holder?.addresses.some((a) => a.network === network && a.address === address)) continue;
    found.push(finding('address', `${network}/${address}`, `${address} on ${network} is held for ${workload}, which ${holder ? 'does not have it' : 'does not exist'}: held by no one`, holder?.node, { type: 'release-address', network, address, workload }));
  }
  // Claims by what holds pieces (a removal under way may have given its address back already).
  const claims = new Map<string, Workload[]>();
  for (const workload of [...input.recorded, ...input.intentHolders]) for (const a of workload.addresses) claims.set(`${a.network}/${a.address}`, [...(claims.get(`${a.network}/${a.address}`) ?? []), workload]);
  for (const [subject, claimants] of claims) {
    const [network, address] = subject.split('/') as [string, string];
    if (claimants.length > 1) {
      found.push(finding('address', subject, `${address} on ${network} is claimed by ${claimants.length} workloads: ${claimants.map((w) => `${w.id} on ${w.node}`).join(', ')}`, undefined, { left: 'two workloads answering one address is never guessed away: remove one (eru rm), then check again' }));
    } else if (held.get(subject) !== claimants[0]!.id) {
      const holder = held.get(subject);
      const claimant = claimants[0]!;
      // Held for another: that holding is released first (above); the next repair holds it for this one.
      const fix: Fix | { left: string } = holder ? { left: `held for ${holder} until that is released` } : { type: 'hold-address', network, address, workload: claimant.id, node: claimant.node };
      found.push(finding('address', subject, `${claimant.id} has ${address} on ${network}, which the pool ${holder ? `holds for ${holder}` : 'does not hold'}`, claimant.node, fix));
    }
  }
  return found;
}

/** The same for host ports, per node. */
function ports(input: CheckInput): Drift[] {
  const found: Drift[] = [];
  const workloads = new Map([...input.recorded, ...input.inIntents].map((w) => [w.id, w]));
  const held = new Map(input.ports.map((p) => [`${p.node}/${p.key}`, p.workload]));
  for (const { node, key, workload } of input.ports) {
    const holder = workloads.get(workload);
    if (holder && holder.node === node && hostPortsOf(holder).some((p) => `${p.port}-${p.protocol}` === key)) continue;
    found.push(finding('port', `${node}/${key}`, `host port ${key} on ${node} is held for ${workload}, which ${holder ? 'does not publish it there' : 'does not exist'}: held by no one`, node, { type: 'release-port', node, key, workload }));
  }
  const claims = new Map<string, Workload[]>();
  for (const workload of [...input.recorded, ...input.intentHolders]) for (const p of hostPortsOf(workload)) claims.set(`${workload.node}/${p.port}-${p.protocol}`, [...(claims.get(`${workload.node}/${p.port}-${p.protocol}`) ?? []), workload]);
  for (const [subject, claimants] of claims) {
    const [node, key] = subject.split('/') as [string, string];
    if (claimants.length > 1) {
      found.push(finding('port', subject, `host port ${key} on ${node} is published by ${claimants.length} workloads: ${claimants.map((w) => w.id).join(', ')}`, node, { left: 'never guessed: remove one of them (eru rm), then check again' }));
    } else if (held.get(subject) !== claimants[0]!.id) {
      const holder = held.get(subject);
      const claimant = claimants[0]!;
      const published = hostPortsOf(claimant).find((p) => `${p.port}-${p.protocol}` === key)!;
      const fix: Fix | { left: string } = holder ? { left: `held for ${holder} until that is released` } : { type: 'hold-port', node, key, workload: claimant.id, address: published.address };
      found.push(finding('port', subject, `${claimant.id} publishes host port ${key} on ${node}, which is ${holder ? `held for ${holder}` : 'not held'}`, node, fix));
    }
  }
  return found;
}

/** An intent whose core is gone: past its lease (recovery undoes it within seconds; one still here is stuck). */
function intents(input: CheckInput): Drift[] {
  return input.intents
    .filter((i) => !i.ownerAlive)
    .map((i) => finding('intent', i.id, `the ${i.kind} intent ${i.id} belongs to core ${i.owner}, which is gone: past its lease`, undefined, { left: "every core's recovery undoes it within seconds; one still here is logged by the core that failed to" }));
}

/** A kept service not at its count while nothing is changing it. */
function services(input: CheckInput): Drift[] {
  return input.services
    .filter((s) => !s.locked && s.instances !== s.count)
    .map((s) =>
      finding('service', `${s.pod}/${s.app}/${s.entry}`, `${s.app}/${s.entry} in pod ${s.pod} runs ${s.instances} instance(s) on nodes that answer, its count is ${s.count} (${s.instances < s.count ? 'below' : 'above'})`, undefined, {
        left: 'the keeper holds a kept service to its count (lost instances after lostAfter, exited ones, the surplus)',
      }),
    );
}
