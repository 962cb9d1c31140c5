import { hostPortsOf } from '../../model/port.js';
import type { Workload } from '../../model/workload.js';
import { absent, del, put, type Repositories } from '../repositories.js';
import type { TxnPart } from './index.js';

/**
 * Host ports: one key per port a workload publishes on its node, taken only if absent in the same
 * transaction as its cores (so two instances never race for one port) and given back with them.
 */
type Holder = Pick<Workload, 'id' | 'node' | 'publish' | 'hostNetwork'>;

export function takePorts(repos: Repositories, holders: readonly Holder[]): TxnPart {
  const held = holders.flatMap((w) => hostPortsOf(w).map((p) => ({ key: repos.ports.key(w.node, p.port, p.protocol), holder: { workload: w.id, node: w.node, address: p.address } })));
  return { compares: held.map((h) => absent(h.key)), ops: held.map((h) => put(h.key, h.holder)) };
}

export function givePorts(repos: Repositories, holders: readonly Holder[]): TxnPart {
  return { compares: [], ops: holders.flatMap((w) => hostPortsOf(w).map((p) => del(repos.ports.key(w.node, p.port, p.protocol)))) };
}
