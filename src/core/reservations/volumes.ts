import { EruError, ErrorCode, conflict } from '../../lib/errors.js';
import type { Node } from '../../model/node.js';
import type { Pod } from '../../model/pod.js';
import { mountHolding, sharedRootOf, volumeDir, type SharedVolume } from '../../model/volume.js';
import { absent, put, unchanged, type Repositories } from '../repositories.js';
import type { TxnPart } from './index.js';

export interface VolumeReservation extends TxnPart {
  /** Node → each volume's directory there, in the order of the request's volumes. */
  dirs: Map<string, string[]>;
}

/**
 * Shared volumes, taken by a deploy for the nodes of its plan: refused, before anything is made, when a
 * node has no shared root or its agent sees no MooseFS mount there (naming each such node), or when a
 * volume is being removed. Otherwise the volume records (first use, or a new size) and which nodes keep
 * them go into the reservation's transaction, guarded by each record's revision. Nothing is given back
 * when a workload goes: the data outlives it (a volume's removal is core/volumes/).
 */
export async function takeVolumes(
  repos: Repositories,
  request: { app: string; shared: readonly SharedVolume[] },
  pod: Pod,
  nodes: readonly Node[],
  createdAt: string,
): Promise<VolumeReservation> {
  const reservation: VolumeReservation = { compares: [], ops: [], dirs: new Map() };
  if (request.shared.length === 0) return reservation;
  const lacking: Array<{ node: string; why: string }> = [];
  for (const node of nodes) {
    const root = sharedRootOf(pod, node);
    if (!root) {
      lacking.push({ node: node.name, why: `${node.name} has no shared root (eru pod set ${pod.name} --shared-root DIR, or eru node set ${node.name} --shared-root DIR)` });
      continue;
    }
    const alive = await repos.alive.get(node.name);
    if (!alive) lacking.push({ node: node.name, why: `${node.name}: its agent is not reporting, and Eru checks the MooseFS mount at ${root} through it` });
    // By path; the agent checks the real path again when it makes the directory.
    else if (mountHolding(root, alive.moosefs) === undefined) {
      const seen = alive.moosefs.length > 0 ? `MooseFS at ${alive.moosefs.join(', ')}` : 'no MooseFS mount';
      lacking.push({ node: node.name, why: `${node.name} has no MooseFS mount at ${root} (its agent sees ${seen})` });
    }
    reservation.dirs.set(node.name, request.shared.map((volume) => volumeDir(root, request.app, volume.name)));
  }
  if (lacking.length > 0) {
    throw new EruError(ErrorCode.PRECONDITION_FAILED, `shared volumes need the pod's MooseFS on every node they land on: ${lacking.map((l) => l.why).join('; ')}`, {
      path: ['shared'],
      details: { nodes: lacking.map((l) => l.node) },
    });
  }
  for (const volume of request.shared) {
    const key = repos.volumes.key(request.app, volume.name);
    const record = await repos.volumes.get(request.app, volume.name);
    if (record?.value.removing) throw conflict(`volume ${volume.name} of ${request.app} is being removed (since ${record.value.removing})`);
    reservation.compares.push(record ? unchanged(key, record.revision) : absent(key));
    const size = volume.size ?? record?.value.size;
    // Written even when unchanged: the new revision makes a removal that checked for users before this fail.
    reservation.ops.push(put(key, { app: request.app, name: volume.name, ...(size !== undefined ? { size } : {}), createdAt: record?.value.createdAt ?? createdAt }));
  }
  for (const node of nodes) {
    const kept = new Set((await repos.nodeVolumes.list(node.name)).map((entry) => entry.name));
    for (const volume of request.shared) {
      if (!kept.has(`${request.app}/${volume.name}`)) reservation.ops.push(put(repos.nodeVolumes.key(node.name, request.app, volume.name), { since: createdAt }));
    }
  }
  return reservation;
}
