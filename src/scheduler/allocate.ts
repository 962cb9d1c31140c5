import type { PieceRequest } from './request.js';
import type { NodeResources, Placement } from '../model/resources.js';
import type { SchedulingPolicy } from './types.js';

/**
 * Stage "allocate": the concrete cores for one instance on one node, and applying or releasing them
 * on the node's ledger. Capacity (fit.ts) must agree with this exactly: it is the number of times
 * planning and applying succeed in a row, which the property tests check.
 *
 * Bound rule: `full` cores that are entirely free (exclusive), plus one fragment core for the
 * fragment. The fragment goes to an already-shared core first (the fullest that fits), and only
 * then splits a whole free core — the highest-numbered, so exclusive cores stay low and
 * contiguous — which `maxshare` may forbid. A core is shared while any fragment is on it (the
 * ledger counts its holders), so a shared core filled up by fragments still counts against
 * `maxshare` and is never handed out whole.
 */

/** Cores to keep when re-planning a workload in place (realloc). */
export interface CorePreference {
  exclusive: ReadonlySet<string>;
  fragment?: string;
  numa?: string;
}

export type InstancePlan = Omit<Placement, 'node'>;

/**
 * A node's ledger unpacked into arrays in core-id order, with running totals, so that a plan of many
 * instances on one node costs O(cores) each and allocates nothing but the result.
 */
export class NodeWorkspace {
  private readonly ids: string[];
  private readonly free: number[];
  /** Fragments held on each core; > 0 makes the core shared. */
  private readonly holders: number[];
  private indexCache: Map<string, number> | undefined;
  private allCache: number[] | undefined;
  /** Whole free cores found by the current pickCores call; reused to spare the collector. */
  private readonly scratch: number[] = [];
  /** The last plan made and its core indices in key order, so applying it needs no lookups. */
  private lastPlan: InstancePlan | null = null;
  private readonly lastPicked: number[] = [];
  private readonly numaCores: Array<{ id: string; cores: number[] }>;
  private totalFree = 0;
  private sharedCores = 0;
  private unboundPieces: number;
  private memory: number | null;
  private readonly numaMemory: Record<string, number> | undefined;

  constructor(
    private readonly base: NodeResources,
    private readonly policy: SchedulingPolicy,
  ) {
    // Core ids are canonical array-index strings, which Object.keys lists in ascending numeric order.
    this.ids = Object.keys(base.cpus);
    this.free = this.ids.map((id) => base.cpus[id]!);
    this.holders = this.ids.map(() => 0);
    for (const f of this.free) this.totalFree += f;
    for (const core in base.shared) {
      const i = this.position(core);
      if (i === undefined) continue;
      this.holders[i] = base.shared[core]!;
      this.sharedCores++;
    }
    this.unboundPieces = base.unboundPieces;
    this.memory = base.memory;
    this.numaMemory = base.numaMemory ? { ...base.numaMemory } : undefined;
    this.numaCores = !base.numa ? NO_NUMA : Object.entries(base.numa).map(([id, cores]) => ({
      id,
      cores: cores.flatMap((core) => {
        const i = this.position(core);
        return i === undefined ? [] : [i];
      }),
    }));
  }

  /** Core id → position; built only when a node's cores are not 0..N-1 or NUMA is in play. */
  private index(): Map<string, number> {
    return (this.indexCache ??= new Map(this.ids.map((id, i) => [id, i])));
  }

  /** Where a core is in the arrays: its own number when the node's cores are 0..N-1, as they mostly are. */
  private position(core: string): number | undefined {
    const n = Number(core);
    return this.ids[n] === core ? n : this.index().get(core);
  }

  /** Plans one instance without changing anything; null when it does not fit. */
  plan(request: PieceRequest, prefer?: CorePreference): InstancePlan | null {
    if (this.memory !== null && this.memory < request.memory) return null;
    if (this.totalFree - this.unboundPieces < request.pieces) return null;
    if (!request.bind) return { pieces: request.pieces, memory: request.memory };
    for (const numa of this.numaOrder(prefer?.numa)) {
      const numaFree = this.numaMemory?.[numa.id];
      if (numaFree !== undefined && numaFree < request.memory) continue;
      const cpuset = this.pickCores(numa.cores, request, prefer);
      if (cpuset) return (this.lastPlan = { cpuset, pieces: request.pieces, memory: request.memory, numa: numa.id });
    }
    const cpuset = this.pickCores((this.allCache ??= this.ids.map((_, i) => i)), request, prefer);
    return (this.lastPlan = cpuset ? { cpuset, pieces: request.pieces, memory: request.memory } : null);
  }

  /** NUMA nodes to try: the preferred one, then the one with most free pieces, ties by id. */
  private numaOrder(preferred: string | undefined): Array<{ id: string; cores: number[] }> {
    if (this.numaCores.length === 0) return this.numaCores;
    const freeOf = (cores: number[]): number => cores.reduce((sum, i) => sum + this.free[i]!, 0);
    return this.numaCores
      .map((numa) => ({ numa, free: freeOf(numa.cores) }))
      .sort(
        (a, b) =>
          Number(b.numa.id === preferred) - Number(a.numa.id === preferred) ||
          b.free - a.free ||
          (a.numa.id < b.numa.id ? -1 : a.numa.id > b.numa.id ? 1 : 0),
      )
      .map((n) => n.numa);
  }

  /** Chooses cores among `subset` (indices in id order). */
  private pickCores(subset: readonly number[], request: PieceRequest, prefer: CorePreference | undefined): Record<string, number> | null {
    const { sharebase, maxshare } = this.policy;
    const { full, fragment } = request;
    const { ids, free, holders } = this;

    let fragmentCore = -1;
    const whole = this.scratch;
    whole.length = 0;
    for (const i of subset) {
      const f = free[i]!;
      if (holders[i] === 0) {
        if (f === sharebase) whole.push(i);
      } else if (fragment > 0 && f >= fragment) {
        if (fragmentCore >= 0 && ids[fragmentCore] === prefer?.fragment) continue;
        // The fullest core that still fits packs fragments tightest.
        if (fragmentCore < 0 || f < free[fragmentCore]! || ids[i] === prefer?.fragment) fragmentCore = i;
      }
    }
    const splitting = fragment > 0 && fragmentCore < 0;
    if (whole.length < full + (splitting ? 1 : 0)) return null;
    if (splitting && maxshare >= 0 && this.sharedCores + 1 > maxshare) return null;

    if (splitting) fragmentCore = chooseCoreToSplit(ids, whole, prefer);
    const picked = this.lastPicked;
    picked.length = 0;
    if (prefer) {
      for (const i of whole) {
        if (picked.length < full && i !== fragmentCore && prefer.exclusive.has(ids[i]!)) picked.push(i);
      }
    }
    for (let w = 0; w < whole.length && picked.length < full; w++) {
      const i = whole[w]!;
      if (i !== fragmentCore && !picked.includes(i)) picked.push(i);
    }
    if (fragment > 0) picked.push(fragmentCore);
    // Keys in ascending core order, as Object.keys will list them; adjust() relies on it.
    if (prefer || (fragment > 0 && !splitting)) picked.sort((a, b) => a - b);
    const cpuset: Record<number, number> = {};
    // Integer keys keep the cpuset objects plain element stores.
    for (const i of picked) cpuset[Number(ids[i])] = i === fragmentCore && fragment > 0 ? fragment : sharebase;
    return cpuset;
  }

  /** Takes a planned instance's resources. */
  apply(plan: InstancePlan): void {
    this.adjust(plan, -1);
  }

  /** Gives an instance's resources back. */
  release(plan: InstancePlan): void {
    this.adjust(plan, +1);
  }

  private adjust(plan: InstancePlan, sign: 1 | -1): void {
    if (plan.cpuset) {
      // Applying the plan just made: its core indices are still at hand.
      const known = plan === this.lastPlan ? this.lastPicked : null;
      let k = 0;
      for (const core in plan.cpuset) {
        const pieces = plan.cpuset[core]!;
        const i = known ? known[k++]! : this.position(core);
        if (i === undefined) throw new Error(`core ${core} is not on this node`);
        this.changeCore(i, sign * pieces, pieces < this.policy.sharebase ? -sign : 0);
      }
    } else {
      this.unboundPieces -= sign * plan.pieces;
    }
    if (this.memory !== null) this.memory += sign * plan.memory;
    if (plan.numa !== undefined && this.numaMemory?.[plan.numa] !== undefined) this.numaMemory[plan.numa]! += sign * plan.memory;
  }

  /** `pieces` more free on core i, and `fragments` more fragment holders there. */
  private changeCore(i: number, pieces: number, fragments: number): void {
    this.free[i] = this.free[i]! + pieces;
    this.totalFree += pieces;
    if (fragments === 0) return;
    const before = this.holders[i]!;
    const after = before + fragments;
    this.holders[i] = after;
    this.sharedCores += Number(after > 0) - Number(before > 0);
  }

  /** Memory and CPU-total left, and the shared cores, for saying which limit stopped a simulation. */
  get left(): { memory: number | null; pieces: number; sharedCores: number } {
    return { memory: this.memory, pieces: this.totalFree - this.unboundPieces, sharedCores: this.sharedCores };
  }

  /** The ledger as it now stands, in the store's shape. */
  toResources(): NodeResources {
    const cpus: Record<number, number> = {};
    const shared: Record<number, number> = {};
    for (let i = 0; i < this.free.length; i++) {
      cpus[Number(this.ids[i])] = this.free[i]!;
      if (this.holders[i]! > 0) shared[Number(this.ids[i])] = this.holders[i]!;
    }
    const { base } = this;
    return {
      cpus,
      shared,
      unboundPieces: this.unboundPieces,
      memory: this.memory,
      memoryTotal: base.memoryTotal,
      ...(base.numa ? { numa: base.numa } : {}),
      ...(this.numaMemory ? { numaMemory: { ...this.numaMemory } } : {}),
    };
  }
}

const NO_NUMA: Array<{ id: string; cores: number[] }> = [];

/** A whole core to split for a fragment: the workload's old fragment core, else the highest free one. */
function chooseCoreToSplit(ids: readonly string[], whole: readonly number[], prefer: CorePreference | undefined): number {
  if (prefer) {
    const old = whole.find((i) => ids[i] === prefer.fragment);
    if (old !== undefined) return old;
    const notPreferred = [...whole].reverse().find((i) => !prefer.exclusive.has(ids[i]!));
    if (notPreferred !== undefined) return notPreferred;
  }
  return whole[whole.length - 1]!;
}

/** Plans one instance on `resources` without changing them; null when it does not fit. */
export function planInstance(
  resources: NodeResources,
  request: PieceRequest,
  policy: SchedulingPolicy,
  prefer?: CorePreference,
): InstancePlan | null {
  return new NodeWorkspace(resources, policy).plan(request, prefer);
}

/** Takes a placement's resources from a ledger, in place. */
export function applyPlacement(resources: NodeResources, placement: InstancePlan, sharebase: number): void {
  adjustLedger(resources, placement, sharebase, -1);
}

/** Gives a placement's resources back to a ledger, in place. */
export function releasePlacement(resources: NodeResources, placement: InstancePlan, sharebase: number): void {
  adjustLedger(resources, placement, sharebase, +1);
}

function adjustLedger(resources: NodeResources, placement: InstancePlan, sharebase: number, sign: 1 | -1): void {
  if (placement.cpuset) {
    for (const [core, pieces] of Object.entries(placement.cpuset)) {
      resources.cpus[core] = (resources.cpus[core] ?? 0) + sign * pieces;
      if (pieces < sharebase) {
        // A fragment: one holder more (or fewer) on its core; the core stops being shared with its last.
        const holders = (resources.shared[core] ?? 0) - sign;
        if (holders > 0) resources.shared[core] = holders;
        else delete resources.shared[core];
      }
    }
  } else {
    resources.unboundPieces -= sign * placement.pieces;
  }
  if (resources.memory !== null) resources.memory += sign * placement.memory;
  if (placement.numa !== undefined && resources.numaMemory?.[placement.numa] !== undefined) {
    resources.numaMemory[placement.numa]! += sign * placement.memory;
  }
}

export function cloneResources<T extends NodeResources>(resources: T): T {
  return {
    ...resources,
    cpus: { ...resources.cpus },
    shared: { ...resources.shared },
    ...(resources.held ? { held: { ...resources.held } } : {}),
    ...(resources.numaMemory ? { numaMemory: { ...resources.numaMemory } } : {}),
  };
}

/** Pure form: the ledger after placing one instance, or null. */
export function allocate<T extends NodeResources>(
  resources: T,
  request: PieceRequest,
  policy: SchedulingPolicy,
): { resources: T; placement: InstancePlan } | null {
  const placement = planInstance(resources, request, policy);
  if (!placement) return null;
  const next = cloneResources(resources);
  applyPlacement(next, placement, policy.sharebase);
  return { resources: next, placement };
}

/** Pure form: the ledger after giving a placement back. */
export function release<T extends NodeResources>(resources: T, placement: InstancePlan, sharebase: number): T {
  const next = cloneResources(resources);
  releasePlacement(next, placement, sharebase);
  return next;
}
