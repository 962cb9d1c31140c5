import type Docker from 'dockerode';
import { EruError } from '../lib/errors.js';
import { releasePlacement, cloneResources } from '../scheduler/allocate.js';
import type { NodeResources } from '../scheduler/types.js';
import { engineMessage, isMissing, type Engines } from '../engine/engines.js';
import { containerSpec } from '../engine/spec.js';
import { event } from '../bus/index.js';
import { del, put, unchanged } from '../store/repositories.js';
import type { CoreContext } from './context.js';
import { CFS_PERIOD_US, sharedPool } from './cpu.js';
import { ensureImage } from './images.js';
import type { Node } from './model/node.js';
import { HEALTH_PENDING, type WorkloadStatus } from './model/status.js';
import type { DeployEvent, Intent, Workload } from './model/workload.js';
import type { Reservation } from './placement.js';
import { optimistic } from './retry.js';
import { eachLimited, EventQueue } from './stream.js';

/** Containers created and started at once on one node. */
const PER_NODE_PARALLELISM = 8;

/**
 * Carrying out a reservation: create and start every container (in parallel across nodes, bounded
 * per node), then record the workloads and clear the intent in one transaction. If anything fails,
 * everything this deploy made is removed and its reservation released (rollBack).
 */
export function startRollout(context: CoreContext, reservation: Reservation): EventQueue<DeployEvent> {
  const events = new EventQueue<DeployEvent>();
  void rollout(context, reservation, events).finally(() => events.end());
  return events;
}

export function dockerFor(engines: Engines, nodes: Map<string, Node>, name: string): Docker {
  const node = nodes.get(name);
  if (!node) throw new EruError('NOT_FOUND', `node ${name} not found`, { status: 404 });
  return engines.get(node);
}

export async function createAndStart(docker: Docker, workload: Workload, start = true): Promise<Docker.Container> {
  const container = await docker.createContainer(
    containerSpec({
      ...workload,
      memory: workload.placement.memory,
      cpu: {
        cpusetCpus: workload.cpusetCpus,
        cpuShares: workload.cpuShares,
        cpuQuota: workload.cpuQuota,
        cpuPeriod: workload.cpuQuota > 0 ? CFS_PERIOD_US : 0,
        ...(workload.placement.numa !== undefined ? { cpusetMems: workload.placement.numa } : {}),
      },
    }),
  );
  if (start) await container.start();
  return container;
}

async function rollout(context: CoreContext, reservation: Reservation, queue: EventQueue<DeployEvent>): Promise<void> {
  const { repos, engines, publish } = context;
  const { intent, nodes } = reservation;
  if (reservation.alreadyDone !== undefined) {
    queue.push({ type: 'result', ok: true, workloads: [], note: reservation.alreadyDone });
    return;
  }
  const { app, pod } = intent.workloads[0]!;
  // Every progress line goes to the client and, as deploy.progress/result, to the bus.
  const events = {
    push(progress: DeployEvent): void {
      queue.push(progress);
      if (progress.type === 'result') {
        publish(event('deploy.result', { app, pod, data: { deploy: intent.id, ok: progress.ok, ...(progress.ok ? { workloads: progress.workloads.map((w) => w.id) } : { error: progress.error }) } }));
      } else if (progress.type === 'started' || progress.type === 'failed') {
        publish(event('deploy.progress', { app, pod, node: progress.node, workload: progress.id, data: { deploy: intent.id, ...progress } }));
      }
    },
  };
  const total = intent.workloads.length;
  events.push({ type: 'planned', workloads: intent.workloads.map((w) => ({ id: w.id, node: w.node, cpuset: w.cpusetCpus })) });
  const failures: Array<{ id: string; node: string; error: string }> = [];
  const containerIds = new Map<string, string>();
  let done = 0;
  const byNode = groupBy(intent.workloads, (w) => w.node);
  await Promise.all(
    [...byNode].map(async ([node, workloads]) => {
      const image = workloads[0]!.image;
      try {
        const moved = await ensureImage(context, dockerFor(engines, nodes, node), image);
        if (moved) events.push({ type: 'image', node, image, ...moved });
      } catch (error) {
        const failure = { id: workloads[0]!.id, node, error: `getting the image ${image}: ${engineMessage(error)}` };
        failures.push(failure);
        events.push({ type: 'failed', ...failure });
        return;
      }
      await eachLimited(workloads, PER_NODE_PARALLELISM, async (workload) => {
        if (failures.length > 0) return;
        try {
          const container = await createAndStart(dockerFor(engines, nodes, node), workload, false);
          containerIds.set(workload.id, container.id);
          events.push({ type: 'created', id: workload.id, node, container: container.id });
          await container.start();
          events.push({ type: 'started', id: workload.id, node, cpuset: workload.cpusetCpus, done: ++done, total });
        } catch (error) {
          const failure = { id: workload.id, node, error: engineMessage(error) };
          failures.push(failure);
          events.push({ type: 'failed', ...failure });
        }
      });
    }),
  );

  if (failures.length > 0) {
    const removed = await rollBack(context, intent, nodes);
    events.push({ type: 'rolledback', removed });
    const where = failures.map((f) => `${f.id} on ${f.node}: ${f.error}`).join('; ');
    events.push({
      type: 'result',
      ok: false,
      error: { code: 'DEPLOY_FAILED', message: `deploy failed and was rolled back: ${where}`, details: { failures } },
    });
    return;
  }

  const workloads = intent.workloads.map((w) => ({ ...w, containerId: containerIds.get(w.id) }));
  // Started just now: running, and healthy unless it has checks to pass first. The agent reports from here on.
  const statuses = new Map<string, WorkloadStatus>(
    workloads.map((w) => [w.id, { id: w.id, running: true, healthy: w.healthcheck === undefined, ...(w.healthcheck ? { reason: HEALTH_PENDING } : {}) }]),
  );
  const recorded = await repos.store.txn(
    [unchanged(repos.intents.key(intent.id), reservation.revision)],
    [
      ...workloads.map((w) => put(repos.workloads.key(w.id), w)),
      ...[...statuses.values()].map((s) => put(repos.statuses.key(s.id), s)),
      del(repos.intents.key(intent.id)),
    ],
  );
  if (!recorded.succeeded) {
    // Another core took the intent over (this core was thought dead) and rolled it back.
    events.push({ type: 'result', ok: false, error: { code: 'DEPLOY_FAILED', message: 'the deploy was rolled back by another core' } });
    return;
  }
  for (const w of workloads) {
    publish(event('workload.created', { app: w.app, pod: w.pod, node: w.node, workload: w.id, data: { entry: w.entry, cpuset: w.cpusetCpus, container: w.containerId } }));
    publish(event('workload.status', { app: w.app, pod: w.pod, node: w.node, workload: w.id, data: { entry: w.entry, ...statuses.get(w.id)! } }));
  }
  await reapplySharedPool(context, nodes, new Set(workloads.filter((w) => w.placement.cpuset).map((w) => w.node)));
  events.push({ type: 'result', ok: true, workloads });
}

/**
 * Undoes an intent: removes every container it may have made (by name: they are named before they
 * exist), then gives its reservations back and deletes it, in one transaction. Safe to repeat.
 */
export async function rollBack({ repos, engines }: CoreContext, intent: Intent, nodes?: Map<string, Node>): Promise<string[]> {
  const removed: string[] = [];
  const known = nodes ?? new Map((await repos.nodes.list()).map((n) => [n.value.name, n.value]));
  await Promise.all(
    intent.workloads.map(async (workload) => {
      if (await removeContainer(engines, known, workload)) removed.push(workload.id);
    }),
  );
  if (intent.kind === 'remove') {
    // A removal already gave its resources back when it began.
    await repos.store.txn([], [del(repos.intents.key(intent.id))]);
    return removed;
  }
  await optimistic(`releasing ${intent.id}`, async () => {
    const current = await repos.intents.get(intent.id);
    if (!current) return true; // someone else finished it
    const ledgers = new Map<string, { revision: number; value: NodeResources }>();
    for (const workload of intent.workloads) {
      if (!ledgers.has(workload.node)) {
        const ledger = await repos.ledgers.get(workload.node);
        if (ledger) ledgers.set(workload.node, { revision: ledger.revision, value: cloneResources(ledger.value) });
      }
      const ledger = ledgers.get(workload.node);
      const pod = await repos.pods.get(workload.pod);
      if (ledger && pod) releasePlacement(ledger.value, workload.placement, pod.value.sharebase);
    }
    const result = await repos.store.txn(
      [unchanged(repos.intents.key(intent.id), current.revision), ...[...ledgers].map(([node, l]) => unchanged(repos.ledgers.key(node), l.revision))],
      [...[...ledgers].map(([node, l]) => put(repos.ledgers.key(node), l.value)), del(repos.intents.key(intent.id))],
    );
    return result.succeeded ? true : undefined;
  });
  return removed;
}

/** Removes a workload's container by name; true when one was there. A node that is gone has none. */
export async function removeContainer(engines: Engines, nodes: Map<string, Node>, workload: Workload): Promise<boolean> {
  const node = nodes.get(workload.node);
  if (!node) return false;
  try {
    await engines.get(node).getContainer(workload.id).remove({ force: true, v: true });
    return true;
  } catch (error) {
    if (isMissing(error)) return false;
    throw new EruError('ENGINE_ERROR', `removing ${workload.id} on ${workload.node}: ${engineMessage(error)}`, { status: 502 });
  }
}

/** When pins change on a node, its unbound workloads get the new shared pool. */
export async function reapplySharedPool({ repos, engines }: CoreContext, nodes: Map<string, Node>, changed: Set<string>): Promise<void> {
  if (changed.size === 0) return;
  const all = await repos.workloads.list();
  await Promise.all(
    [...changed].map(async (nodeName) => {
      const node = nodes.get(nodeName);
      const pod = node ? await repos.pods.get(node.pod) : null;
      if (!node || !pod) return;
      const onNode = all.filter((w) => w.value.node === nodeName);
      const pool = sharedPool(node.cpus, onNode.map((w) => w.value.placement), pod.value.sharebase).join(',');
      for (const { value: workload, revision } of onNode.filter((w) => !w.value.placement.cpuset && w.value.cpusetCpus !== pool)) {
        try {
          await engines.get(node).getContainer(workload.id).update({ CpusetCpus: pool });
          const key = repos.workloads.key(workload.id);
          await repos.store.txn([unchanged(key, revision)], [put(key, { ...workload, cpusetCpus: pool })]);
        } catch {
          // A container that is gone or refuses is fixed on the next change; the deploy itself stands.
        }
      }
    }),
  );
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    groups.set(k, [...(groups.get(k) ?? []), item]);
  }
  return groups;
}
