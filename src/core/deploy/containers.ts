import type Docker from 'dockerode';
import { withoutQuota } from '../../engine/cpu.js';
import { engineMessage, isMissing, type Engines } from '../../engine/engines.js';
import { deadline, forcedRemoval } from '../../engine/docker.js';
import { ensureMacvlanNetwork } from '../../engine/networks.js';
import { containerSpec } from '../../engine/spec.js';
import { EruError, ErrorCode, notFound } from '../../lib/errors.js';
import type { Network } from '../../model/network.js';
import type { Node } from '../../model/node.js';
import type { Workload } from '../../model/workload.js';

/** A workload's containers on its node: made exactly as its record says, removed by name. */

export function dockerFor(engines: Engines, nodes: Map<string, Node>, name: string): Docker {
  const node = nodes.get(name);
  if (!node) throw notFound('node', name);
  return engines.get(node);
}

/** Before a node's containers join Eru's networks: each network exists on the node's daemon. */
export async function prepareNetworks(docker: Docker, node: Node, networks: ReadonlyMap<string, Network>, names: readonly string[]): Promise<void> {
  for (const name of names) {
    if (!node.macvlanParent) throw new EruError(ErrorCode.CONFLICT, `node ${node.name} has no macvlan parent for network ${name}`);
    await ensureMacvlanNetwork(docker, networks.get(name)!, node.macvlanParent, node.name);
  }
}

/**
 * Creates a workload's container with its cpuset, shares, memory, addresses and `env` (its env set's values
 * with its own env, resolved by the caller: core/apps/env.ts) — and its CFS quota,
 * unless `withoutQuota`: an exact quota also throttles the container's own start (runc's init, the
 * first exec), so deploys start without it and put it on once the container runs (applyQuota).
 */
export async function createContainer(docker: Docker, workload: Workload, env: Record<string, string>, options: { start?: boolean; withoutQuota?: boolean } = {}): Promise<Docker.Container> {
  const container = await docker.createContainer({
    ...containerSpec({
      ...workload,
      // A version's image by its ID (checked on the node by ensureImage): exactly what was built.
      image: workload.imageId ?? workload.image,
      env,
      memory: workload.placement.memory,
      cpu: options.withoutQuota ? withoutQuota(workload.cpuSettings) : workload.cpuSettings,
      addresses: workload.addresses,
      hostNetwork: workload.hostNetwork,
      sharedMounts: workload.shared.map((volume, i) => ({ source: workload.sharedDirs[i]!, target: volume.path })),
      ...(workload.rate ? { rate: workload.rate } : {}),
    }),
    ...deadline(),
  });
  if (options.start ?? true) await container.start(deadline());
  return container;
}

/** Puts a running container's CFS quota on (after its start, or its startup boost). */
export async function applyQuota(docker: Docker, workload: Workload): Promise<void> {
  const { cpuQuota, cpuPeriod } = workload.cpuSettings;
  if (cpuQuota <= 0) return;
  await docker.getContainer(workload.id).update({ CpuQuota: cpuQuota, CpuPeriod: cpuPeriod, ...deadline() });
}

/** Removes a workload's container by name; true when one was there. A node that is gone has none. */
export async function removeContainer(engines: Engines, nodes: Map<string, Node>, workload: Workload): Promise<boolean> {
  const node = nodes.get(workload.node);
  if (!node) return false;
  try {
    await engines.get(node).getContainer(workload.id).remove(forcedRemoval());
    return true;
  } catch (error) {
    if (isMissing(error)) return false;
    throw new EruError(ErrorCode.ENGINE_ERROR, `removing ${workload.id} on ${workload.node}: ${engineMessage(error)}`);
  }
}
