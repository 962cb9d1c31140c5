import { z } from 'zod';
import { Mirror } from './mirror.js';
import { SpecCache, splitIntentPut, splitWorkloadPut } from './specs.js';
import { conflict } from '../lib/errors.js';
import { ActivitySchema } from '../model/activity.js';
import { AuditEntrySchema } from '../model/audit.js';
import { AppEnvSchema, AppSchema, AppVersionSchema, PipelineSchema, PushSchema } from '../model/app.js';
import { AddressCursorSchema, AddressHolderSchema, NetworkSchema } from '../model/network.js';
import { NodeSchema, type Node } from '../model/node.js';
import { PodSchema, type Pod } from '../model/pod.js';
import { RolloutSchema } from '../model/rollout.js';
import { ServiceLockSchema, ServiceSchema } from '../model/service.js';
import { NodeResourcesSchema, type NodeResources } from '../model/resources.js';
import { NodeStatusSchema, NodeUsageSchema, WorkloadStatusSchema, type NodeUsage } from '../model/status.js';
import { TokenSchema, upgradeToken } from '../model/token.js';
import { IntentSchema } from '../model/intent.js';
import { WorkloadSchema, upgradeWorkload } from '../model/workload.js';
import { NodeVolumeSchema, VolumeRecordSchema } from '../model/volume.js';
import { PortHolderSchema } from '../model/port.js';
import { BindCheckSchema, type BindCheck } from '../model/bind.js';
import { LeakSuspectSchema } from '../model/check.js';
import { CoreInfoSchema, type CoreInfo } from '../model/core.js';
import type { Compare, KeyValue, Lease, Store, TxnOp, Watch } from '../store/types.js';
import { EventBatchSchema, EventPositionSchema, type LoggedBatch } from './events/batch.js';
import type { EventPosition } from '../contract/events.js';
import { changeRecord } from './retry.js';

/**
 * Typed access to what Eru keeps. Only this module knows the key layout; the rest of the core goes
 * through it and never to the store's keys:
 *   /eru/pods/{pod}        Pod
 *   /eru/nodes/{node}      Node (labels, endpoint, declared resources)
 *   /eru/ledgers/{node}    NodeResources: what is free on the node, guarded by its revision
 *   /eru/workloads/{id}    Workload
 *   /eru/intents/{id}      Intent: a deploy or removal under way (DESIGN.md, data flow)
 *   /eru/cores/{id}        a running core, bound to its lease: gone when the core dies
 *   /eru/leader            the core that marks nodes down, bound to its lease
 *   /eru/alive/{node}      a node whose agent reported lately, bound to a lease of the node TTL
 *   /eru/nodestatus/{node} NodeStatus: up or down, and since when
 *   /eru/status/{id}       WorkloadStatus as the node's agent last reported it
 *   /eru/tokens/{sha256}   Token: a token's name, scope, apps or node, expiry (only its hash is kept)
 *   /eru/apps/{app}        App
 *   /eru/versions/{app}/{sha}  AppVersion
 *   /eru/appenv/{app}/{env}    AppEnv: env vars per environment, apart from app.yaml
 *   /eru/networks/{net}        Network: subnet, gateway, range, VLAN, pods
 *   /eru/addresses/{net}/{ip}  AddressHolder: one key per held address (workload, node)
 *   /eru/addresscursor/{net}   AddressCursor: the address the pool handed out last (the next starts after it)
 *   /eru/ports/{node}/{port}-{proto}  PortHolder: one key per host port a workload publishes on the node
 *   /eru/services/{pod}/{app}/{entry}  Service: what the last deploy of it asked for, and its count
 *   /eru/rollouts/{pod}/{app}/{entry}/{n}  Rollout: each rolling replace of the service, numbered (n zero-padded)
 *   /eru/servicelocks/{pod}/{app}/{entry}  ServiceLock: the one change under way to the service (scale, replace, keeper, drain)
 *   /eru/activities/{app}/{id}  Activity: a build, deploy, scale or replace of the app, and its last lines
 *   /eru/audit/{id}        AuditEntry: a change asked of the core, who asked and how it ended (ids sort by time)
 *   /eru/boosts/{id}       a workload still running without its CPU quota (startup boost), until it gets it
 *   /eru/volumes/{app}/{name}  VolumeRecord: an app's shared volume (MooseFS), from its first use to its removal
 *   /eru/nodevolumes/{node}/{app}/{name}  a node whose agent keeps that volume's directory and quota
 *   /eru/bindchecks/{node}/{id}  BindCheck: a bind source the node's agent is to check, bound to a short lease
 *   /eru/events/{time}-{core}-{seq}  EventBatch: events a core logged in one write (core/events/); its revision orders them
 *   /eru/eventrelay        EventPosition: the last logged event the leader handed to the bus
 *   /eru/eventfloor        EventPosition: the last event pruned from the log (older ones cannot be replayed)
 *   /eru/leaks/{container}  LeakSuspect: a container `eru check` found leaked, until a later check removes it or finds it claimed
 */
const ROOT = '/eru';
const keys = {
  events: `${ROOT}/events/`,
  eventBatch: (name: string) => `${ROOT}/events/${name}`,
  eventRelay: `${ROOT}/eventrelay`,
  eventFloor: `${ROOT}/eventfloor`,
  leaks: `${ROOT}/leaks/`,
  leak: (container: string) => `${ROOT}/leaks/${container}`,
  pods: `${ROOT}/pods/`,
  pod: (name: string) => `${ROOT}/pods/${name}`,
  nodes: `${ROOT}/nodes/`,
  node: (name: string) => `${ROOT}/nodes/${name}`,
  ledgers: `${ROOT}/ledgers/`,
  ledger: (node: string) => `${ROOT}/ledgers/${node}`,
  workloads: `${ROOT}/workloads/`,
  workload: (id: string) => `${ROOT}/workloads/${id}`,
  intents: `${ROOT}/intents/`,
  intent: (id: string) => `${ROOT}/intents/${id}`,
  core: (id: string) => `${ROOT}/cores/${id}`,
  leader: `${ROOT}/leader`,
  alive: `${ROOT}/alive/`,
  aliveNode: (node: string) => `${ROOT}/alive/${node}`,
  nodeStatuses: `${ROOT}/nodestatus/`,
  nodeStatus: (node: string) => `${ROOT}/nodestatus/${node}`,
  statuses: `${ROOT}/status/`,
  status: (id: string) => `${ROOT}/status/${id}`,
  tokens: `${ROOT}/tokens/`,
  token: (hash: string) => `${ROOT}/tokens/${hash}`,
  apps: `${ROOT}/apps/`,
  app: (name: string) => `${ROOT}/apps/${name}`,
  versions: (app: string) => `${ROOT}/versions/${app}/`,
  version: (app: string, sha: string) => `${ROOT}/versions/${app}/${sha}`,
  appEnv: (app: string, env: string) => `${ROOT}/appenv/${app}/${env}`,
  pipeline: (app: string) => `${ROOT}/pipelines/${app}`,
  pushes: (app: string) => `${ROOT}/pushes/${app}/`,
  push: (app: string, sha: string) => `${ROOT}/pushes/${app}/${sha}`,
  networks: `${ROOT}/networks/`,
  network: (name: string) => `${ROOT}/networks/${name}`,
  addresses: (network: string) => `${ROOT}/addresses/${network}/`,
  address: (network: string, address: string) => `${ROOT}/addresses/${network}/${address}`,
  addressCursor: (network: string) => `${ROOT}/addresscursor/${network}`,
  ports: (node: string) => `${ROOT}/ports/${node}/`,
  port: (node: string, port: number, protocol: string) => `${ROOT}/ports/${node}/${port}-${protocol}`,
  services: `${ROOT}/services/`,
  service: (pod: string, app: string, entry: string) => `${ROOT}/services/${pod}/${app}/${entry}`,
  rollouts: (pod: string, app: string, entry: string) => `${ROOT}/rollouts/${pod}/${app}/${entry}/`,
  rollout: (pod: string, app: string, entry: string, number: number) => `${ROOT}/rollouts/${pod}/${app}/${entry}/${String(number).padStart(6, '0')}`,
  serviceLocks: `${ROOT}/servicelocks/`,
  serviceLock: (pod: string, app: string, entry: string) => `${ROOT}/servicelocks/${pod}/${app}/${entry}`,
  boosts: `${ROOT}/boosts/`,
  boost: (id: string) => `${ROOT}/boosts/${id}`,
  volumes: `${ROOT}/volumes/`,
  volume: (app: string, name: string) => `${ROOT}/volumes/${app}/${name}`,
  nodeVolumes: (node: string) => `${ROOT}/nodevolumes/${node}/`,
  nodeVolume: (node: string, app: string, name: string) => `${ROOT}/nodevolumes/${node}/${app}/${name}`,
  bindChecks: (node: string) => `${ROOT}/bindchecks/${node}/`,
  bindCheck: (node: string, id: string) => `${ROOT}/bindchecks/${node}/${id}`,
  activities: (app: string) => `${ROOT}/activities/${app}/`,
  activity: (app: string, id: string) => `${ROOT}/activities/${app}/${id}`,
  audits: `${ROOT}/audit/`,
  audit: (id: string) => `${ROOT}/audit/${id}`,
};

/** A workload waiting for its CPU quota (core/boost.ts). */
const PendingQuotaSchema = z.object({ node: z.string(), since: z.string() });

/** A value and the revision it was read at, for compare-and-set. */
export interface Versioned<T> {
  value: T;
  revision: number;
}

/**
 * Decoded records by key, kept while the key's revision is unchanged: a value is validated once per
 * revision, not at every read (a pod map reads 20,000 workloads). Cached values are frozen, so a
 * caller that would change one in place fails loudly instead of changing it for every other reader.
 */
class DecodeCache {
  // Bounded: a million workloads are never all held decoded (a full listing reads them a page at a
  // time). Two generations: entries go to the young one; when it is full it becomes the old one and
  // the old one is dropped whole; an old entry read again moves back to the young one. (Evicting one
  // entry at a time from the front of a Map costs a scan over its deleted slots: quadratic.)
  private static readonly GENERATION = 25_000;
  private young = new Map<string, { revision: number; value: unknown }>();
  private old = new Map<string, { revision: number; value: unknown }>();

  decode<S extends z.ZodType>(schema: S, kv: { key: string; value: string; modRevision: number }, upgrade: Upgrade = (raw) => raw): z.output<S> {
    const cached = this.young.get(kv.key) ?? this.old.get(kv.key);
    if (cached && cached.revision === kv.modRevision) {
      if (!this.young.has(kv.key)) this.keep(kv.key, cached.revision, cached.value);
      return cached.value as z.output<S>;
    }
    const value = deepFreeze(schema.parse(upgrade(JSON.parse(kv.value))));
    this.keep(kv.key, kv.modRevision, value);
    return value;
  }

  private keep(key: string, revision: number, value: unknown): void {
    this.old.delete(key);
    if (!this.young.has(key) && this.young.size >= DecodeCache.GENERATION) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(key, { revision, value });
  }

  forget(key: string): void {
    this.young.delete(key);
    this.old.delete(key);
  }

  /**
   * What this core itself just wrote, at the revision it was written: read back as written, not
   * validated again (it was made from validated records). A workload's record is read back by the
   * agent's report of it a moment later, a million times in a large cluster.
   */
  seed(key: string, revision: number, value: unknown): void {
    this.keep(key, revision, deepFreeze(value));
  }

  private lists = 0;

  /**
   * Drops keys under a prefix that a full listing of it no longer has (deleted by another core; this
   * core's own deletes are forgotten as they commit). Every 64th listing: a sweep reads the whole cache.
   */
  prune(prefix: string, present: () => ReadonlySet<string>): void {
    if (++this.lists % 64 !== 0) return;
    const keys = present();
    for (const generation of [this.young, this.old]) for (const key of generation.keys()) if (key.startsWith(prefix) && !keys.has(key)) generation.delete(key);
  }
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

const caches = new WeakMap<Store, DecodeCache>();
function cacheOf(store: Store): DecodeCache {
  let cache = caches.get(store);
  if (!cache) caches.set(store, (cache = new DecodeCache()));
  return cache;
}

/** What older cores stored, in today's shape, before it is validated (model/workload.ts upgradeWorkload). */
type Upgrade = (raw: unknown) => unknown;

/** What a record type reads before decoding (a workload's shared spec, specs.ts). */
type Prepare = (store: Store, kvs: ReadonlyArray<KeyValue | null>) => Promise<void>;

async function read<S extends z.ZodType>(store: Store, schema: S, key: string, upgrade?: Upgrade, prepare?: Prepare): Promise<Versioned<z.output<S>> | null> {
  const kv = await store.get(key);
  if (!kv) {
    cacheOf(store).forget(key);
    return null;
  }
  await prepare?.(store, [kv]);
  return { value: cacheOf(store).decode(schema, kv, upgrade), revision: kv.modRevision };
}

/** Every value under `prefix + under`, each with its name (the key without `prefix`). */
async function list<S extends z.ZodType>(store: Store, schema: S, prefix: string, upgrade?: Upgrade, under = '', page?: { after?: string; limit?: number }, prepare?: Prepare): Promise<Array<Versioned<z.output<S>> & { name: string }>> {
  const cache = cacheOf(store);
  const kvs = await store.range(prefix + under, { ...(page?.after !== undefined ? { startAfter: prefix + page.after } : {}), ...(page?.limit !== undefined ? { limit: page.limit } : {}) });
  await prepare?.(store, kvs);
  // Only a whole listing shows what is gone.
  if (!page) cache.prune(prefix + under, () => new Set(kvs.map((kv) => kv.key)));
  return kvs.map((kv) => ({ name: kv.key.slice(prefix.length), value: cache.decode(schema, kv, upgrade), revision: kv.modRevision }));
}

const upgradeIntent: Upgrade = (raw) => {
  const intent = raw as { workloads?: unknown[] };
  return Array.isArray(intent?.workloads) ? { ...intent, workloads: intent.workloads.map(upgradeWorkload) } : raw;
};

/** A put; a workload record's, and an intent's workloads, are split from their shared spec (specs.ts). */
export const put = <T>(key: string, value: T): TxnOp => {
  if (value !== null && typeof value === 'object') {
    if (key.startsWith(keys.workloads)) return splitWorkloadPut(key, value as Record<string, unknown>);
    if (key.startsWith(keys.intents) && Array.isArray((value as { workloads?: unknown }).workloads)) {
      return splitIntentPut(key, value as Record<string, unknown> & { workloads: Array<Record<string, unknown>> });
    }
  }
  return { type: 'put', key, value: JSON.stringify(value) };
};
export const del = (key: string): TxnOp => ({ type: 'delete', key });
export const unchanged = (key: string, revision: number): Compare => ({ key, modRevision: revision });
export const absent = (key: string): Compare => ({ key, modRevision: 0 });

/** A record type's reads and its key, for transactions. */
interface Records<S extends z.ZodType> {
  get(name: string): Promise<Versioned<z.output<S>> | null>;
  /** Several at once, in the order given (null for those absent): one round trip for many. */
  getMany(names: readonly string[]): Promise<Array<Versioned<z.output<S>> | null>>;
  list(): Promise<Array<Versioned<z.output<S>> & { name: string }>>;
  /** Those whose name starts with `start`: one range, not a scan of all; or one page of it (`limit` names after `after`). */
  listStarting(start: string, page?: { after?: string; limit?: number }): Promise<Array<Versioned<z.output<S>> & { name: string }>>;
  key(name: string): string;
}

function records<S extends z.ZodType>(store: Store, schema: S, key: (name: string) => string, prefix: string, upgrade?: Upgrade, prepare?: Prepare): Records<S> {
  return {
    get: (name: string) => read(store, schema, key(name), upgrade, prepare),
    getMany: async (names: readonly string[]) => {
      const cache = cacheOf(store);
      const kvs = await store.getMany(names.map(key));
      await prepare?.(store, kvs);
      return kvs.map((kv) => (kv ? { value: cache.decode(schema, kv, upgrade), revision: kv.modRevision } : null));
    },
    list: () => list(store, schema, prefix, upgrade, '', undefined, prepare),
    listStarting: (start: string, page?: { after?: string; limit?: number }) => list(store, schema, prefix, upgrade, start, page, prepare),
    key,
  };
}

const specCaches = new WeakMap<Store, SpecCache>();
function specsOf(store: Store): SpecCache {
  let specs = specCaches.get(store);
  if (!specs) specCaches.set(store, (specs = new SpecCache()));
  return specs;
}

/**
 * Where a service's (or an app's) workloads start among workload ids — and their statuses', which
 * share the ids: `{app}_{entry}_…` (app names have no `_`, entrypoint names neither), so the records
 * of one app or one service are one range of keys.
 */
export function idsOf(app: string, entry?: string): string {
  return entry === undefined ? `${app}_` : `${app}_${entry}_`;
}

export class Repositories {
  private readonly store: Store;

  constructor(store: Store) {
    this.store = store;
    this.pods = records(store, PodSchema, keys.pod, keys.pods);
    this.nodes = records(store, NodeSchema, keys.node, keys.nodes);
    const specs = specsOf(store);
    this.workloads = records(store, WorkloadSchema, keys.workload, keys.workloads, (raw) => upgradeWorkload(specs.join(raw)), (s, kvs) => specs.load(s, kvs));
    this.intents = records(store, IntentSchema, keys.intent, keys.intents, (raw) => upgradeIntent(specs.joinIntent(raw)), (s, kvs) => specs.load(s, kvs));
    this.nodeStatus = records(store, NodeStatusSchema, keys.nodeStatus, keys.nodeStatuses);
    this.statuses = records(store, WorkloadStatusSchema, keys.status, keys.statuses);
    this.tokens = records(store, TokenSchema, keys.token, keys.tokens, upgradeToken);
    this.apps = records(store, AppSchema, keys.app, keys.apps);
    this.networks = records(store, NetworkSchema, keys.network, keys.networks);
  }

  /**
   * What every deploy and every heartbeat reads, kept in memory by watches (mirror.ts): nodes, their
   * liveness and ledgers, what their agents keep and check. Started on first use; may lag the store
   * by the watch's delay, so decisions from them are written guarded by the revisions they show.
   */
  readonly mirrored = {
    nodes: () => this.mirror(keys.nodes, NodeSchema),
    nodeStatus: () => this.mirror(keys.nodeStatuses, NodeStatusSchema),
    ledgers: () => this.mirror(keys.ledgers, NodeResourcesSchema),
    /** Named `{node}/{app}/{volume}`. */
    nodeVolumes: () => this.mirror(`${ROOT}/nodevolumes/`, NodeVolumeSchema),
    /** Named `{node}/{id}`. */
    bindChecks: () => this.mirror(`${ROOT}/bindchecks/`, BindCheckSchema),
    /** By their hash: every API call (2,500 heartbeats a second at 5,000 nodes) names its token. */
    tokens: () => this.mirror(keys.tokens, TokenSchema, upgradeToken),
  };

  private readonly mirrors = new Map<string, Mirror<z.ZodType>>();

  private mirror<S extends z.ZodType>(prefix: string, schema: S, upgrade?: Upgrade): Promise<Mirror<S>> {
    let mirror = this.mirrors.get(prefix) as Mirror<S> | undefined;
    if (!mirror) {
      const cache = cacheOf(this.store);
      mirror = new Mirror<S>(this.store, prefix, (kv) => cache.decode(schema, kv, upgrade));
      this.mirrors.set(prefix, mirror as unknown as Mirror<z.ZodType>);
    }
    return mirror.started();
  }

  /** Stops the mirrors' watches (a core stopping). */
  async stopMirrors(): Promise<void> {
    await Promise.all([...this.mirrors.values()].map((m) => m.stop()));
  }

  /** Every node by its name. */
  async nodesByName(): Promise<Map<string, Node>> {
    return new Map((await this.nodes.list()).map((n) => [n.value.name, n.value]));
  }

  /** Which store this is, for messages. */
  get description(): string {
    return this.store.description;
  }

  readonly pods: Records<typeof PodSchema>;
  readonly nodes: Records<typeof NodeSchema>;
  readonly workloads: Records<typeof WorkloadSchema>;
  readonly intents: Records<typeof IntentSchema>;
  readonly nodeStatus: Records<typeof NodeStatusSchema>;
  readonly statuses: Records<typeof WorkloadStatusSchema>;
  readonly tokens: Records<typeof TokenSchema>;
  readonly apps: Records<typeof AppSchema>;
  readonly networks: Records<typeof NetworkSchema>;

  readonly services = {
    get: (pod: string, app: string, entry: string) => read(this.store, ServiceSchema, keys.service(pod, app, entry)),
    list: () => list(this.store, ServiceSchema, keys.services),
    /** At most `limit` after the one named `after` (`{pod}/{app}/{entry}`), in that order. */
    page: (after: string | undefined, limit: number) => list(this.store, ServiceSchema, keys.services, undefined, '', { ...(after !== undefined ? { after } : {}), limit }),
    key: keys.service,
  };

  /** A service's rollouts, oldest first. */
  readonly rollouts = {
    list: (pod: string, app: string, entry: string) => list(this.store, RolloutSchema, keys.rollouts(pod, app, entry)),
    get: (pod: string, app: string, entry: string, number: number) => read(this.store, RolloutSchema, keys.rollout(pod, app, entry, number)),
    key: keys.rollout,
  };

  /** Who is changing a service now (core/services/lock.ts); a listed one's name is `{pod}/{app}/{entry}`. */
  readonly serviceLocks = {
    get: (pod: string, app: string, entry: string) => read(this.store, ServiceLockSchema, keys.serviceLock(pod, app, entry)),
    list: () => list(this.store, ServiceLockSchema, keys.serviceLocks),
    key: keys.serviceLock,
  };

  /**
   * Workloads whose quota is still to come on (their name is the workload id): an index, so that the
   * leader's look every second reads these few keys, not every workload.
   */
  readonly boosts = {
    list: () => list(this.store, PendingQuotaSchema, keys.boosts),
    key: keys.boost,
  };

  /** Shared volumes; a listed one's name is `{app}/{name}`. */
  readonly volumes = {
    get: (app: string, name: string) => read(this.store, VolumeRecordSchema, keys.volume(app, name)),
    list: (app?: string) => list(this.store, VolumeRecordSchema, app ? `${keys.volumes}${app}/` : keys.volumes),
    key: keys.volume,
  };

  /** The volumes a node's agent keeps (a listed one's name is `{app}/{name}`), or every node's when none is named. */
  readonly nodeVolumes = {
    list: (node: string) => list(this.store, NodeVolumeSchema, keys.nodeVolumes(node)),
    /** Every node's, as [node, app, name]. */
    all: async (): Promise<Array<[string, string, string]>> =>
      (await this.store.range(`${ROOT}/nodevolumes/`)).map((kv) => kv.key.slice(`${ROOT}/nodevolumes/`.length).split('/') as [string, string, string]),
    key: keys.nodeVolume,
  };

  /** Bind sources a node's agent is to check (core/apps/binds.ts); each vanishes with its lease. */
  readonly bindChecks = {
    list: (node: string) => list(this.store, BindCheckSchema, keys.bindChecks(node)),
    ask: async (node: string, check: BindCheck, lease: Lease) => {
      await this.store.put(keys.bindCheck(node, check.id), JSON.stringify(check), { lease: lease.id });
    },
    key: keys.bindCheck,
  };

  /** The audit, oldest first. */
  readonly audit = {
    list: () => list(this.store, AuditEntrySchema, keys.audits),
    key: keys.audit,
  };

  /** An app's activities; ids sort by start time. */
  readonly activities = {
    list: (app: string) => list(this.store, ActivitySchema, keys.activities(app)),
    key: keys.activity,
  };

  /**
   * The event log: batches of events as cores logged them, each read with the revision that wrote it
   * (a batch is written once and never changed). Not cached: each is read once per replay.
   */
  readonly eventLog = {
    key: keys.eventBatch,
    /** The batches written after revision `after` (all when not given), in revision order; small pages, as a batch may be large. */
    batches: async (after?: number): Promise<LoggedBatch[]> =>
      (await this.store.range(keys.events, { ...(after !== undefined ? { after } : {}), pageSize: 40 }))
        .map((kv) => ({ key: kv.key, revision: kv.modRevision, ...EventBatchSchema.parse(JSON.parse(kv.value)) }))
        .sort((a, b) => a.revision - b.revision),
    /** The batches' keys, oldest first by the time in their names (no values read). */
    batchKeys: async (): Promise<string[]> => await this.store.rangeKeys(keys.events),
    /** The revision a batch was written at. */
    revisionOf: async (key: string): Promise<number | undefined> => (await this.store.get(key))?.modRevision,
    /** Every batch logged from now on, in revision order. */
    watch: (onBatch: (batch: LoggedBatch) => void): Promise<Watch> =>
      this.store.watch(keys.events, (change) => {
        if (change.type !== 'put' || change.value === undefined) return;
        const parsed = EventBatchSchema.safeParse(JSON.parse(change.value));
        if (parsed.success) onBatch({ key: change.key, revision: change.revision, ...parsed.data });
      }),
    relayed: async (): Promise<EventPosition | undefined> => (await read(this.store, EventPositionSchema, keys.eventRelay))?.value,
    relayKey: keys.eventRelay,
    floor: async (): Promise<EventPosition | undefined> => (await read(this.store, EventPositionSchema, keys.eventFloor))?.value,
    floorKey: keys.eventFloor,
  };

  /** Containers found leaked by a check, by container id (core/check/). */
  readonly leaks = {
    list: () => list(this.store, LeakSuspectSchema, keys.leaks),
    key: keys.leak,
  };

  /** Held addresses of a network, one key each (the name of a listed one is its address). */
  readonly addresses = {
    get: (network: string, address: string) => read(this.store, AddressHolderSchema, keys.address(network, address)),
    list: (network: string) => list(this.store, AddressHolderSchema, keys.addresses(network)),
    key: keys.address,
    /** Where the pool handed out its last address (written without a guard: it only says where to start looking). */
    cursor: async (network: string): Promise<string | undefined> => (await read(this.store, AddressCursorSchema, keys.addressCursor(network)))?.value.last,
    cursorKey: keys.addressCursor,
  };

  /** Held host ports of a node, one key each (the name of a listed one is `{port}-{proto}`). */
  readonly ports = {
    list: (node: string) => list(this.store, PortHolderSchema, keys.ports(node)),
    key: keys.port,
  };

  readonly ledgers = {
    get: (node: string): Promise<Versioned<NodeResources> | null> => read(this.store, NodeResourcesSchema, keys.ledger(node)),
    key: keys.ledger,
    /** The nodes whose ledger was written after `revision`. */
    changedSince: async (revision: number): Promise<Set<string>> => new Set((await this.store.range(keys.ledgers, { after: revision })).map((kv) => kv.key.slice(keys.ledgers.length))),
    /** A ledger as stored, unparsed: start-up migrations look at which fields it has. */
    stored: async (node: string): Promise<Versioned<Record<string, unknown>> | null> => {
      const kv = await this.store.get(keys.ledger(node));
      return kv ? { value: JSON.parse(kv.value) as Record<string, unknown>, revision: kv.modRevision } : null;
    },
  };

  /** Records as stored, unparsed, by kind: start-up migrations look at which fields they have. */
  readonly stored = {
    workloads: () => this.rawList(keys.workloads),
    intents: () => this.rawList(keys.intents),
  };

  private async rawList(prefix: string): Promise<Array<Versioned<Record<string, unknown>> & { key: string }>> {
    return (await this.store.range(prefix)).map((kv) => ({ key: kv.key, value: JSON.parse(kv.value) as Record<string, unknown>, revision: kv.modRevision }));
  }

  readonly versions = {
    get: (app: string, sha: string) => read(this.store, AppVersionSchema, keys.version(app, sha)),
    list: (app: string) => list(this.store, AppVersionSchema, keys.versions(app)),
    key: keys.version,
  };

  readonly pipelines = {
    get: (app: string) => read(this.store, PipelineSchema, keys.pipeline(app)),
    key: keys.pipeline,
  };

  readonly pushes = {
    get: (app: string, sha: string) => read(this.store, PushSchema, keys.push(app, sha)),
    list: (app: string) => list(this.store, PushSchema, keys.pushes(app)),
    key: keys.push,
  };

  readonly appEnvs = {
    get: (app: string, env: string) => read(this.store, AppEnvSchema, keys.appEnv(app, env)),
    key: keys.appEnv,
  };

  /** Running cores, each bound to its lease: a core's key vanishes when it dies. */
  readonly cores = {
    announce: async (id: string, lease: Lease, info: CoreInfo) => {
      await this.store.put(keys.core(id), JSON.stringify(info), { lease: lease.id });
    },
    alive: async (id: string) => (await this.store.get(keys.core(id))) !== null,
    /** Every live core, by its id. */
    list: () => list(this.store, CoreInfoSchema, `${ROOT}/cores/`),
  };

  /** The core that marks nodes down: one at a time, bound to its lease. */
  readonly leader = {
    /** True when `owner` became the leader (nobody was). */
    claim: async (owner: string, lease: Lease) =>
      (await this.store.txn([absent(keys.leader)], [{ type: 'put', key: keys.leader, value: owner, lease: lease.id }])).succeeded,
    get: async () => (await this.store.get(keys.leader))?.value ?? null,
  };

  /** Nodes whose agent reported within the node TTL: each key is bound to a lease of that TTL. */
  readonly alive = {
    /** With what the agent measured, so the dashboard's use figures cost no write of their own. */
    /** Returns the revision written, which `clear` then guards on. */
    mark: (node: string, lease: Lease, usage: NodeUsage): Promise<number> => this.store.put(keys.aliveNode(node), JSON.stringify(usage), { lease: lease.id }),
    /** A node gone quiet: its key deleted, unless it was written since `revision` (its agent moved to another core). */
    clear: async (node: string, revision: number): Promise<boolean> => (await this.store.txn([unchanged(keys.aliveNode(node), revision)], [{ type: 'delete', key: keys.aliveNode(node) }])).succeeded,
    /** The alive nodes' names (keys only: their usage is not read). */
    list: async () => new Set((await this.store.rangeKeys(keys.alive)).map((key) => key.slice(keys.alive.length))),
    get: async (node: string): Promise<NodeUsage | undefined> => {
      const found = await this.store.get(keys.aliveNode(node));
      return found ? aliveUsage(found.value) : undefined;
    },
    /** These nodes' last heartbeat and use, in the order given (undefined: not alive). */
    usageOf: async (nodes: readonly string[]): Promise<Array<NodeUsage | undefined>> => (await this.store.getMany(nodes.map(keys.aliveNode))).map((kv) => (kv ? aliveUsage(kv.value) : undefined)),
    /** Each alive node's last heartbeat and use; a value from before use was kept is the time alone. */
    usage: async (): Promise<Map<string, NodeUsage>> =>
      new Map((await this.store.range(keys.alive)).map((kv) => [kv.key.slice(keys.alive.length), aliveUsage(kv.value)])),
  };

  /** The store's revision now (an empty transaction changes nothing and answers with it). */
  async revision(): Promise<number> {
    return (await this.store.txn([], [])).revision;
  }

  grantLease(ttlSeconds: number): Promise<Lease> {
    return this.store.grantLease(ttlSeconds);
  }

  /**
   * Every record, as stored, at one revision (one range read): what a snapshot keeps. Keys bound to a
   * lease (live cores, the leader, alive nodes, bind checks) are left out: the running system makes them again.
   */
  async exportRecords(): Promise<Array<{ key: string; value: string }>> {
    // The event log is history, ordered by this store's revisions: a restored store starts its own.
    const history = [keys.events, keys.eventRelay, keys.eventFloor];
    return (await this.store.range(`${ROOT}/`))
      .filter((kv) => kv.lease === undefined && !history.some((prefix) => kv.key.startsWith(prefix)))
      .map((kv) => ({ key: kv.key, value: kv.value }));
  }

  /** Writes a snapshot's records into a store that has none (refused otherwise: a restore never mixes two histories). */
  async importRecords(records: ReadonlyArray<{ key: string; value: string }>): Promise<number> {
    const present = (await this.store.range(`${ROOT}/`)).filter((kv) => kv.lease === undefined);
    if (present.length > 0) throw conflict(`the store ${this.store.description} is not empty (${present.length} records, e.g. ${present[0]!.key}): restore into a new one`);
    for (let start = 0; start < records.length; start += 100) {
      const batch = records.slice(start, start + 100);
      const written = await this.store.txn(batch.map((r) => absent(r.key)), batch.map((r) => ({ type: 'put', key: r.key, value: r.value })));
      if (!written.succeeded) throw conflict(`the store ${this.store.description} was written to during the restore`);
    }
    return records.length;
  }

  /** Applies `ops` if every compare holds; false when another writer came first. */
  async commit(compares: Compare[], ops: TxnOp[]): Promise<boolean> {
    return (await this.commitAt(compares, ops)) !== null;
  }

  /**
   * One record changed where it stands (core/retry.ts changeRecord): read with its revision, changed,
   * written only if no one wrote it meanwhile, else again on a fresh read. `gone()` says what a record
   * no longer there means (throw, or null).
   */
  change<T>(what: string, key: string, read: () => Promise<Versioned<T> | null>, change: (current: T) => T, gone: () => T | null): Promise<T | null> {
    return changeRecord(what, (revision, next) => this.commit([unchanged(key, revision)], [put(key, next)]), read, change, gone);
  }

  /** As commit, with the store's revision after the write (null when another writer came first). */
  async commitAt(compares: Compare[], ops: TxnOp[]): Promise<number | null> {
    // The shared specs of workload records written here that this core has not seen stored go with them.
    const specs = specsOf(this.store);
    const needed = specs.needed(ops);
    const result = await this.store.txn(compares, [...needed, ...ops]);
    if (result.succeeded) {
      specs.written(needed);
      for (const mirror of this.mirrors.values()) mirror.written(ops, result.revision);
      const cache = cacheOf(this.store);
      for (const op of ops) {
        if (op.type === 'delete') cache.forget(op.key);
        else if (op.key.startsWith(keys.workloads)) cache.seed(op.key, result.revision, upgradeWorkload(specs.join(JSON.parse(op.value))));
        else if (op.key.startsWith(keys.statuses)) cache.seed(op.key, result.revision, JSON.parse(op.value));
      }
    }
    return result.succeeded ? result.revision : null;
  }
}

export type { Node, NodeResources, Pod };

function aliveUsage(value: string): NodeUsage {
  if (!value.startsWith('{')) return NodeUsageSchema.parse({ at: value });
  return NodeUsageSchema.parse(JSON.parse(value));
}
