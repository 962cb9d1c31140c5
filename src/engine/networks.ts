import type Docker from 'dockerode';
import { randomSuffix } from '../lib/ids.js';
import { EruError, ErrorCode } from '../lib/errors.js';
import { parentOf, type Network } from '../model/network.js';
import { engineMessage, isMissing } from './engines.js';
import { LABEL } from './spec.js';

/**
 * Eru's networks on one Docker daemon: a macvlan (bridge mode) network of the same name, subnet and
 * gateway on the node's parent interface (IFACE.VLAN with a VLAN, which Docker makes if missing).
 * Eru assigns every address itself; Docker's IPAM only guards. Networks made by hand are never removed.
 */
export async function ensureMacvlanNetwork(docker: Docker, network: Network, nodeParent: string, node: string): Promise<void> {
  const parent = parentOf(network, nodeParent);
  for (let attempt = 0; attempt < 2; attempt++) {
    const existing = (await docker.getNetwork(network.name).inspect().catch((error: unknown) => {
      if (isMissing(error)) return null;
      throw error;
    })) as { Driver?: string; Options?: Record<string, string>; IPAM?: { Config?: Array<{ Subnet?: string }> } } | null;
    if (existing) {
      const subnet = existing.IPAM?.Config?.[0]?.Subnet;
      if (existing.Driver !== 'macvlan' || subnet !== network.subnet || existing.Options?.parent !== parent) {
        throw new EruError(
          ErrorCode.CONFLICT,
          `node ${node} has a Docker network ${network.name} that is not Eru's network (driver ${existing.Driver}, subnet ${subnet ?? 'none'}, parent ${existing.Options?.parent ?? 'none'}; Eru's: macvlan, ${network.subnet}, ${parent}); rename or remove it`,
        );
      }
      return;
    }
    try {
      await docker.createNetwork({
        Name: network.name,
        Driver: 'macvlan',
        CheckDuplicate: true,
        Options: { parent, macvlan_mode: 'bridge' },
        IPAM: { Driver: 'default', Config: [{ Subnet: network.subnet, Gateway: network.gateway }] },
        Labels: { [LABEL.managed]: 'true', [LABEL.network]: network.name },
      });
      return;
    } catch (error) {
      // Another deploy made it at the same moment: look again.
      if ((error as { statusCode?: number }).statusCode === 409 && attempt === 0) continue;
      throw new EruError(ErrorCode.ENGINE_ERROR, `making network ${network.name} on ${node} (parent ${parent}): ${engineMessage(error)}`);
    }
  }
}

/** Removes a network Eru made on a daemon (never one made by hand); false when there was none of Eru's. */
export async function removeMacvlanNetwork(docker: Docker, name: string): Promise<boolean> {
  const existing = (await docker.getNetwork(name).inspect().catch(() => null)) as { Labels?: Record<string, string> } | null;
  if (existing?.Labels?.[LABEL.managed] !== 'true') return false;
  await docker.getNetwork(name).remove();
  return true;
}

/**
 * Whether `parent` is an interface of the daemon's host: Docker refuses a macvlan network on a parent
 * it cannot find, so a probe network (on a documentation subnet, never used) is made and removed.
 */
export async function probeParent(docker: Docker, parent: string): Promise<string | null> {
  const name = `eru-probe-${randomSuffix()}`;
  try {
    await docker.createNetwork({
      Name: name,
      Driver: 'macvlan',
      Options: { parent, macvlan_mode: 'bridge' },
      IPAM: { Driver: 'default', Config: [{ Subnet: '192.0.2.0/30' }] },
    });
  } catch (error) {
    return engineMessage(error);
  }
  await docker.getNetwork(name).remove().catch(() => undefined);
  return null;
}
