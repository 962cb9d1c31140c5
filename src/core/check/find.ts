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
  /**
   * Nodes whose Docker answered, with their containers (null: not compared — a simulated engine, whose
   * containers live in each core's memory), pod sharebase and declared memory.
   */
  nodes: ReadonlyArray<{ name: string; sharebase: number; memory: number | null; containers: readonly HostContainer[] | null; fenced: ReadonlySet<string> }>;
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
    if (node.containers === null) continue;
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

/**
 * One kind of holding in the store (an address of a network, a host port of a node), checked both
 * ways by `holdings`: each holding key against its holder, each claim against the keys.
 */
interface HoldingKind {
  kind: 'address' | 'port';
  /** The keys as held: the subject (`net/address`, `node/port-proto`), for whom, and how it is let go. */
  held: ReadonlyArray<{ subject: string; workload: string; node?: string; release: Fix }>;
  /** The subjects a workload has. */
  claimsOf: (workload: Workload) => string[];
  /** The node a subject is on, when it names one. */
  nodeOf: (subject: string) => string | undefined;
  /** Holding it for `claimant`, when no one holds it. */
  hold: (subject: string, claimant: Workload) => Fix;
  words: {
    heldForNoOne: (subject: string, workload: string, holder: Workload | undefined) => string;
    claimedByMany: (subject: string, claimants: Workload[]) => string;
    manyLeft: string;
    notHeld: (subject: string, claimant: Workload, holder: string | undefined) => string;
  };
}

/** A holding kept for no one (its holder does not have it), a claim not held, one claimed by two. */
function holdings(input: CheckInput, spec: HoldingKind): Drift[] {
  const found: Drift[] = [];
  const workloads = new Map([...input.recorded, ...input.inIntents].map((w) => [w.id, w]));
  const held = new Map(spec.held.map((h) => [h.subject, h.workload]));
  for (const { subject, workload, node, release } of spec.held) {
    const holder = workloads.get(workload);
    if (holder && spec.claimsOf(holder).includes(subject)) continue;
    found.push(finding(spec.kind, subject, spec.words.heldForNoOne(subject, workload, holder), node ?? holder?.node, release));
  }
  // Claims by what holds pieces (a removal under way may have given its holding back already).
  const claims = new Map<string, Workload[]>();
  for (const workload of [...input.recorded, ...input.intentHolders]) for (const subject of spec.claimsOf(workload)) claims.set(subject, [...(claims.get(subject) ?? []), workload]);
  for (const [subject, claimants] of claims) {
    if (claimants.length > 1) {
      found.push(finding(spec.kind, subject, spec.words.claimedByMany(subject, claimants), spec.nodeOf(subject), { left: spec.words.manyLeft }));
      continue;
    }
    const claimant = claimants[0]!;
    const holder = held.get(subject);
    if (holder === claimant.id) continue;
    // Held for another: that holding is released first (above); the next repair holds it for this one.
    const fix: Fix | { left: string } = holder ? { left: `held for ${holder} until that is released` } : spec.hold(subject, claimant);
    found.push(finding(spec.kind, subject, spec.words.notHeld(subject, claimant, holder), claimant.node, fix));
  }
  return found;
}

const split = (subject: string): [string, string] => subject.split('/') as [string, string];

/** Addresses of Eru's networks: `net/address` → the workload it is held for. */
function addresses(input: CheckInput): Drift[] {
  return holdings(input, {
    kind: 'address',
    held: input.addresses.map(({ network, address, workload }) => ({ subject: `${network}/${address}`, workload, release: { type: 'release-address', network, address, workload } })),
    claimsOf: (w) => w.addresses.map((a) => `${a.network}/${a.address}`),
    nodeOf: () => undefined,
    hold: (subject, claimant) => ({ type: 'hold-address', network: split(subject)[0], address: split(subject)[1], workload: claimant.id, node: claimant.node }),
    words: {
      heldForNoOne: (subject, workload, holder) => `${split(subject)[1]} on ${split(subject)[0]} is held for ${workload}, which ${holder ? 'does not have it' : 'does not exist'}: held by no one`,
      claimedByMany: (subject, claimants) => `${split(subject)[1]} on ${split(subject)[0]} is claimed by ${claimants.length} workloads: ${claimants.map((w) => `${w.id} on ${w.node}`).join(', ')}`,
      manyLeft: 'two workloads answering one address is never guessed away: remove one (eru rm), then check again',
      notHeld: (subject, claimant, holder) => `${claimant.id} has ${split(subject)[1]} on ${split(subject)[0]}, which the pool ${holder ? `holds for ${holder}` : 'does not hold'}`,
    },
  });
}

/** Host ports, per node: `node/port-proto` → the workload it is held for. */
function ports(input: CheckInput): Drift[] {
  return holdings(input, {
    kind: 'port',
    held: input.ports.map(({ node, key, workload }) => ({ subject: `${node}/${key}`, workload, node, release: { type: 'release-port', node, key, workload } })),
    claimsOf: (w) => hostPortsOf(w).map((p) => `${w.node}/${p.port}-${p.protocol}`),
    nodeOf: (subject) => split(subject)[0],
    hold: (subject, claimant) => {
      const [node, key] = split(subject);
      return { type: 'hold-port', node, key, workload: claimant.id, address: hostPortsOf(claimant).find((p) => `${p.port}-${p.protocol}` === key)!.address };
    },
    words: {
      heldForNoOne: (subject, workload, holder) => `host port ${split(subject)[1]} on ${split(subject)[0]} is held for ${workload}, which ${holder ? 'does not publish it there' : 'does not exist'}: held by no one`,
      claimedByMany: (subject, claimants) => `host port ${split(subject)[1]} on ${split(subject)[0]} is published by ${claimants.length} workloads: ${claimants.map((w) => w.id).join(', ')}`,
      manyLeft: 'never guessed: remove one of them (eru rm), then check again',
      notHeld: (subject, claimant, holder) => `${claimant.id} publishes host port ${split(subject)[1]} on ${split(subject)[0]}, which is ${holder ? `held for ${holder}` : 'not held'}`,
    },
  });
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
