import { z } from 'zod';
import { NodeSchema, type Node } from '../core/model/node.js';
import { PodSchema, type Pod } from '../core/model/pod.js';
import { AppEnvSchema, AppSchema, AppVersionSchema } from '../core/model/app.js';
import { NodeStatusSchema, NodeTokenSchema, WorkloadStatusSchema } from '../core/model/status.js';
import { IntentSchema, WorkloadSchema } from '../core/model/workload.js';
import { NodeResourcesSchema, type NodeResources } from '../scheduler/types.js';
import type { Compare, Store, TxnOp } from './types.js';

/**
 * Typed access to what Eru keeps. Only this module knows the key layout:
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
 *   /eru/tokens/{sha256}   a node token (only its hash is kept)
 *   /eru/apps/{app}        App
 *   /eru/versions/{app}/{sha}  AppVersion
 *   /eru/appenv/{app}/{env}    AppEnv: env vars per environment, apart from app.yaml
 */
const ROOT = '/eru';
export const keys = {
  pods: `${ROOT}/pods/`,
  pod: (name: string) => `${ROOT}/pods/${name}`,
  nodes: `${ROOT}/nodes/`,
  node: (name: string) => `${ROOT}/nodes/${name}`,
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
};

/** A value and the revision it was read at, for compare-and-set. */
export interface Versioned<T> {
  value: T;
  revision: number;
}

function decode<S extends z.ZodType>(schema: S, text: string): z.output<S> {
  return schema.parse(JSON.parse(text));
}

async function read<S extends z.ZodType>(store: Store, schema: S, key: string): Promise<Versioned<z.output<S>> | null> {
  const kv = await store.get(key);
  return kv ? { value: decode(schema, kv.value), revision: kv.modRevision } : null;
}

/** Every value under a prefix, each with its name (the key without the prefix). */
async function list<S extends z.ZodType>(store: Store, schema: S, prefix: string): Promise<Array<Versioned<z.output<S>> & { name: string }>> {
  return (await store.range(prefix)).map((kv) => ({ name: kv.key.slice(prefix.length), value: decode(schema, kv.value), revision: kv.modRevision }));
}

export const put = <T>(key: string, value: T): TxnOp => ({ type: 'put', key, value: JSON.stringify(value) });
export const del = (key: string): TxnOp => ({ type: 'delete', key });
export const unchanged = (key: string, revision: number): Compare => ({ key, modRevision: revision });
export const absent = (key: string): Compare => ({ key, modRevision: 0 });

export class Repositories {
  readonly keys = keys;

  constructor(readonly store: Store) {}

  readonly pods = {
    get: (name: string) => read(this.store, PodSchema, keys.pod(name)),
    list: () => list(this.store, PodSchema, keys.pods),
    key: keys.pod,
  };

  readonly nodes = {
    get: (name: string) => read(this.store, NodeSchema, keys.node(name)),
    list: () => list(this.store, NodeSchema, keys.nodes),
    key: keys.node,
  };

  readonly ledgers = {
    get: (node: string) => read(this.store, NodeResourcesSchema, keys.ledger(node)),
    key: keys.ledger,
  };

  readonly workloads = {
    get: (id: string) => read(this.store, WorkloadSchema, keys.workload(id)),
    list: () => list(this.store, WorkloadSchema, keys.workloads),
    key: keys.workload,
  };

  readonly intents = {
    get: (id: string) => read(this.store, IntentSchema, keys.intent(id)),
    list: () => list(this.store, IntentSchema, keys.intents),
    key: keys.intent,
  };

  readonly nodeStatus = {
    get: (node: string) => read(this.store, NodeStatusSchema, keys.nodeStatus(node)),
    list: () => list(this.store, NodeStatusSchema, keys.nodeStatuses),
    key: keys.nodeStatus,
  };

  readonly statuses = {
    get: (id: string) => read(this.store, WorkloadStatusSchema, keys.status(id)),
    list: () => list(this.store, WorkloadStatusSchema, keys.statuses),
    key: keys.status,
  };

  readonly tokens = {
    get: (hash: string) => read(this.store, NodeTokenSchema, keys.token(hash)),
    list: () => list(this.store, NodeTokenSchema, keys.tokens),
    key: keys.token,
  };

  readonly apps = {
    get: (name: string) => read(this.store, AppSchema, keys.app(name)),
    list: () => list(this.store, AppSchema, keys.apps),
    key: keys.app,
  };

  readonly versions = {
    get: (app: string, sha: string) => read(this.store, AppVersionSchema, keys.version(app, sha)),
    list: (app: string) => list(this.store, AppVersionSchema, keys.versions(app)),
    key: keys.version,
  };

  readonly appEnvs = {
    get: (app: string, env: string) => read(this.store, AppEnvSchema, keys.appEnv(app, env)),
    key: keys.appEnv,
  };

  readonly cores = {
    key: keys.core,
    alive: async (id: string) => (await this.store.get(keys.core(id))) !== null,
  };

  /** Applies `ops` if every compare holds; false when another writer came first. */
  async commit(compares: Compare[], ops: TxnOp[]): Promise<boolean> {
    return (await this.store.txn(compares, ops)).succeeded;
  }
}

export type { Node, NodeResources, Pod };
