import { forcedRemoval } from '../../engine/docker.js';
import { event } from '../../bus/index.js';
import type { DrainEvent } from '../../contract/events.js';
import type { DrainBody } from '../../contract/nodes.js';
import { ErrorCode, notFound } from '../../lib/errors.js';
import type { Node } from '../../model/node.js';
import { serviceKey, type Service } from '../../model/service.js';
import type { Workload } from '../../model/workload.js';
import { eachLimited, failedResult, runInBackground, type EventQueue } from '../background.js';
import type { CoreContext } from '../context.js';
import { put, unchanged } from '../repositories.js';
import { optimistic } from '../retry.js';
import { tryLockService, type Unlock } from '../services/lock.js';
import { heldWorkloads } from '../workloads/held.js';
import { removeWorkload } from '../workloads/remove.js';
import { moveInstance } from './move.js';

/** Services moved off a node at once; within one service, one instance at a time. */
const SERVICES_AT_ONCE = 4;
const POLL_MS = 500;

/**
 * Node drain (`eru node drain N`), as Nomad's: the node is marked draining (it takes nothing new,
 * the scheduler says why), every instance of a kept service moves off it (move.ts: new one healthy
 * first, one at a time per service), jobs are waited for until the deadline, and then what is left is
 * said — or, with `force`, removed. The node stays draining until `eru node undrain`.
 */
export class Drains {
  constructor(private readonly context: CoreContext) {}

  async drain(name: string, body: DrainBody): Promise<EventQueue<DrainEvent>> {
    const deadline = Date.now() + body.deadline * 1000;
    const node = await setDraining(this.context, name, new Date(deadline));
    this.context.publish(event('node.updated', { pod: node.pod, node: name, data: { draining: true } }));
    return runInBackground<DrainEvent>(
      (emit) => drainNode(this.context, node, body, deadline, emit),
      (error) => ({ type: 'result', ok: false, node: name, moved: 0, left: {}, error: failedResult(error, ErrorCode.INTERNAL).error }),
    );
  }

  async undrain(name: string): Promise<Node> {
    const node = await setDraining(this.context, name, undefined);
    this.context.publish(event('node.updated', { pod: node.pod, node: name, data: { draining: false } }));
    return node;
  }
}

async function setDraining(context: CoreContext, name: string, deadline: Date | undefined): Promise<Node> {
  const { repos } = context;
  return optimistic(`marking node ${name}`, async () => {
    const current = await repos.nodes.get(name);
    if (!current) throw notFound('node', name);
    const { draining: _was, ...rest } = current.value;
    const next: Node = deadline ? { ...rest, draining: { since: new Date().toISOString(), deadline: deadline.toISOString() } } : rest;
    return (await repos.commit([unchanged(repos.nodes.key(name), current.revision)], [put(repos.nodes.key(name), next)])) ? next : undefined;
  });
}

async function drainNode(context: CoreContext, node: Node, body: DrainBody, deadline: number, emit: (event: DrainEvent) => void): Promise<DrainEvent> {
  const { repos } = context;
  const left: Record<string, string> = {};
  let moved = 0;
  const services = new Map((await repos.services.list()).map((s) => [serviceKey(s.value), s.value]));
  const here = (await repos.workloads.list()).map((w) => w.value).filter((w) => w.node === node.name);
  const byService = new Map<string, { service: Service; instances: Workload[] }>();
  for (const workload of here) {
    const service = services.get(serviceKey(workload));
    if (!service || !service.keep) {
      left[workload.id] = service ? 'its service is not kept (keep: false)' : 'no service keeps it';
      continue;
    }
    const group = byService.get(serviceKey(service)) ?? { service, instances: [] };
    group.instances.push(workload);
    byService.set(serviceKey(service), group);
  }
  emit({ type: 'note', message: `draining ${node.name}: ${here.length - Object.keys(left).length} instance(s) of ${byService.size} kept service(s) to move, ${Object.keys(left).length} other workload(s)` });
  await eachLimited([...byService.values()], SERVICES_AT_ONCE, async ({ service, instances }) => {
    const unlock = await lockUntil(context, service, deadline);
    if (!unlock) {
      for (const w of instances) left[w.id] = 'another change to its service held it until the deadline';
      return;
    }
    try {
      for (const instance of instances) {
        const why = Date.now() > deadline ? 'the deadline passed' : await moveInstance(context, service, instance, { drainSeconds: body.drain, deadline }, emit);
        if (why === null) moved++;
        else {
          left[instance.id] = why;
          emit({ type: 'left', id: instance.id, reason: why });
        }
      }
    } finally {
      await unlock();
    }
  });
  // Jobs run to their end, until the deadline.
  for (;;) {
    const jobs = (await heldWorkloads(repos)).filter((h) => h.kind === 'job' && h.workload.node === node.name);
    if (jobs.length === 0 || Date.now() > deadline) {
      for (const job of jobs) left[job.workload.id] = 'a job still running at the deadline';
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  if (body.force) await removeLeft(context, node, left, emit);
  for (const [id, reason] of Object.entries(left)) emit({ type: 'left', id, reason });
  context.publish(event('node.drained', { pod: node.pod, node: node.name, data: { moved, left } }));
  return { type: 'result', ok: Object.keys(left).length === 0, node: node.name, moved, left };
}

/** `force`: what the drain could not move goes (a job's container is removed; its runner sees it end). */
async function removeLeft(context: CoreContext, node: Node, left: Record<string, string>, emit: (event: DrainEvent) => void): Promise<void> {
  for (const id of Object.keys(left)) {
    const recorded = await context.repos.workloads.get(id);
    try {
      if (recorded) await removeWorkload(context, async () => (await context.repos.workloads.get(id)) ?? recorded, () => new Date());
      else await context.engines.get(node).getContainer(id).remove(forcedRemoval());
      emit({ type: 'removed', id, node: node.name });
      delete left[id];
    } catch (error) {
      left[id] = `could not be removed: ${(error as Error).message}`;
    }
  }
}

async function lockUntil(context: CoreContext, service: Service, deadline: number): Promise<Unlock | undefined> {
  for (;;) {
    const unlock = await tryLockService(context, service, 'draining a node');
    if (unlock || Date.now() > deadline) return unlock;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
