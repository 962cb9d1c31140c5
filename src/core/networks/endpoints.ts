import { event } from '../../bus/index.js';
import type { Endpoint } from '../../contract/networks.js';
import type { Node } from '../../model/node.js';
import type { WorkloadStatus } from '../../model/status.js';
import type { Workload } from '../../model/workload.js';
import type { CoreContext } from '../context.js';
import { idsOf, type Repositories } from '../repositories.js';

/**
 * An app's endpoints: where each of its workloads answers — each Eru address with the entrypoint's
 * ports, the node's address for host mode, and each published port. A load balancer or a DNS writer
 * subscribes to `endpoints.changed` (the whole new list each time) instead of polling.
 */
export interface EndpointFilter {
  entry?: string;
  pod?: string;
  healthy?: boolean;
}

/** The node's address as clients reach it: the host of a TCP endpoint; a unix socket is the core's own machine. */
function nodeAddress(node: Node | undefined): string {
  const match = /^tcp:\/\/([^:]+):/.exec(node?.endpoint ?? '');
  return match ? match[1]! : '127.0.0.1';
}

/** A workload that answers somewhere (an address, host mode, a published port): only its changes can change its app's endpoints. */
export function hasEndpoints(workload: Pick<Workload, 'addresses' | 'hostNetwork' | 'publish'>): boolean {
  return workload.addresses.length > 0 || Boolean(workload.hostNetwork) || workload.publish.length > 0;
}

export function endpointsOf(workload: Workload, node: Node | undefined, status: WorkloadStatus | undefined): Endpoint[] {
  const running = status?.running ?? false;
  // A workload being drained (before it stops) is no place to send new requests.
  const healthy = (status?.healthy ?? false) && workload.drainingSince === undefined;
  const containerPorts = [...new Set([...workload.expose, ...workload.publish.map((p) => `${p.split('/')[0]!.split(':').pop()}/${p.split('/')[1] ?? 'tcp'}`)])];
  const base = { workload: workload.id, app: workload.app, entry: workload.entry, pod: workload.pod, node: workload.node, running, healthy };
  const endpoints: Endpoint[] = workload.addresses.map((a) => ({ ...base, network: a.network, address: a.address, ports: containerPorts }));
  if (workload.hostNetwork) endpoints.push({ ...base, network: 'host', address: nodeAddress(node), ports: containerPorts });
  for (const publish of workload.publish) {
    const [mapping, protocol = 'tcp'] = publish.split('/');
    const parts = mapping!.split(':');
    const [hostIp, hostPort] = parts.length === 3 ? [parts[0]!, parts[1]!] : ['127.0.0.1', parts[0]!];
    endpoints.push({ ...base, network: 'published', address: hostIp === '0.0.0.0' ? nodeAddress(node) : hostIp, ports: [`${hostPort}/${protocol}`] });
  }
  return endpoints;
}

export async function appEndpoints(repos: Repositories, app: string, filter: EndpointFilter = {}): Promise<Endpoint[]> {
  // Only the app's workloads, statuses and nodes (one range each way): an app is a small part of a large cluster.
  const workloads = (await repos.workloads.listStarting(idsOf(app, filter.entry))).map((w) => w.value).filter((w) => w.app === app && (filter.pod === undefined || w.pod === filter.pod));
  const nodes = new Map<string, Node | undefined>();
  for (const name of new Set(workloads.map((w) => w.node))) nodes.set(name, (await repos.nodes.get(name))?.value);
  const statuses = new Map<string, WorkloadStatus>((await repos.statuses.listStarting(idsOf(app, filter.entry))).map((s) => [s.name, s.value]));
  return workloads
    .sort((a, b) => a.id.localeCompare(b.id))
    .flatMap((w) => endpointsOf(w, nodes.get(w.node), statuses.get(w.id)))
    .filter((e) => filter.healthy === undefined || e.healthy === filter.healthy);
}

/** After a change to these workloads: the endpoint lists of the apps of those that answer somewhere (the others' cannot have moved). */
export async function announceEndpointsOf(context: CoreContext, changed: Iterable<Workload>): Promise<void> {
  const apps = [...changed].filter(hasEndpoints).map((w) => w.app);
  if (apps.length > 0) await announceEndpoints(context, apps);
}

/** Publishes each app's whole endpoint list after a change that may have moved it. */
export async function announceEndpoints(context: CoreContext, apps: Iterable<string>): Promise<void> {
  for (const app of new Set(apps)) {
    try {
      const endpoints = await appEndpoints(context.repos, app);
      context.publish(event('endpoints.changed', { app, data: { endpoints } }));
    } catch (error) {
      context.log.warn({ err: error, app }, 'cannot announce the endpoints of an app');
    }
  }
}
