import type { Workload } from '../../model/workload.js';
import { absent, del, put, type Repositories } from '../repositories.js';
import type { TxnPart } from './index.js';

/**
 * Addresses on Eru's networks: one key per held address, taken only if absent (so two cores never
 * hand out one address twice) and given back once the holder's container is gone.
 */
type Holder = Pick<Workload, 'id' | 'node' | 'addresses'>;

export function takeAddresses(repos: Repositories, holders: readonly Holder[]): TxnPart {
  const held = holders.flatMap((w) => w.addresses.map((a) => ({ key: repos.addresses.key(a.network, a.address), holder: { workload: w.id, node: w.node } })));
  return { compares: held.map((h) => absent(h.key)), ops: held.map((h) => put(h.key, h.holder)) };
}

export function giveAddresses(repos: Repositories, holders: readonly Holder[]): TxnPart {
  return { compares: [], ops: holders.flatMap((w) => w.addresses.map((a) => del(repos.addresses.key(a.network, a.address)))) };
}

/** One address more or less for a running workload (network connect and disconnect). */
export function takeAddress(repos: Repositories, holder: Pick<Workload, 'id' | 'node'>, network: string, address: string): TxnPart {
  return takeAddresses(repos, [{ ...holder, addresses: [{ network, address }] }]);
}

export function giveAddress(repos: Repositories, holder: Pick<Workload, 'id' | 'node'>, network: string, address: string): TxnPart {
  return giveAddresses(repos, [{ ...holder, addresses: [{ network, address }] }]);
}

/** Each network's pool cursor moved to the last address this change handed out (a hint: no guard). */
export function moveAddressCursors(repos: Repositories, cursors: ReadonlyMap<string, string>): TxnPart {
  return { compares: [], ops: [...cursors].map(([network, last]) => put(repos.addresses.cursorKey(network), { last })) };
}
