import type { DeployEvent } from '../../contract/events.js';
import { ReplaceBodySchema, type ReplaceBody, type ScaleBody, type ServiceView, type UndoBody } from '../../contract/services.js';
import { parseWith } from '../../lib/validate.js';
import { conflict } from '../../lib/errors.js';
import type { Rollout } from '../../model/rollout.js';
import { serviceOnNode } from '../../model/resources.js';
import type { ResizeBody } from '../../contract/workloads.js';
import { continueAfter, continuedFrom, DEFAULT_PAGE, type Page, type PageQuery } from '../../contract/query.js';
import type { Workload } from '../../model/workload.js';
import { trackActivity } from '../apps/activities.js';
import type { EventQueue } from '../background.js';
import type { CoreContext } from '../context.js';
import { replace } from '../replace/index.js';
import { changeRollout, runningRollout, steer, undoTarget, type RolloutAction } from '../replace/rollouts.js';
import { scale, serviceOf } from '../scale/index.js';
import { resizeService } from '../scale/resize.js';

/**
 * Services: an app's entrypoint in a pod, as its deploys recorded it (spec.ts); scaled (core/scale/),
 * replaced by another version or image (core/replace/), resized in place as a whole.
 */
export class Services {
  constructor(private readonly context: CoreContext) {}

  /**
   * Every service: its last deploy's request and spec, and how many instances it runs (deploys under
   * way included) — counted from the nodes' ledgers (their `held`), not by reading every workload.
   */
  /** Every service (apply plans against them all). */
  async list(): Promise<ServiceView[]> {
    return (await this.page({ limit: Number.MAX_SAFE_INTEGER })).items;
  }

  /**
   * One page of the services, by pod, app and entry: at most `limit` (default DEFAULT_PAGE) after
   * `continue`, each with its instances counted from the ledgers (no workload read).
   */
  async page(query: PageQuery): Promise<Page<ServiceView>> {
    const { repos } = this.context;
    const limit = query.limit ?? DEFAULT_PAGE;
    const [nodes, ledgers, records] = await Promise.all([
      repos.mirrored.nodes().then((m) => m.fresh()),
      repos.mirrored.ledgers().then((m) => m.fresh()),
      // One more than asked: whether a next page exists.
      repos.services.page(query.continue !== undefined ? continuedFrom(query.continue) : undefined, limit + 1),
    ]);
    const instances = new Map<string, number>();
    for (const { value: node } of nodes.list()) {
      for (const [service, count] of Object.entries(ledgers.get(node.name)?.value.held ?? {})) {
        const key = `${node.pod}/${service}`;
        instances.set(key, (instances.get(key) ?? 0) + count);
      }
    }
    const chosen = records.slice(0, limit);
    const items = chosen.map(({ value: s }) => ({ ...s, instances: instances.get(`${s.pod}/${serviceOnNode(s)}`) ?? 0 }));
    return { items, ...(records.length > limit ? { next: continueAfter(chosen.at(-1)!.name) } : {}) };
  }

  /** Up with the spec its instances have, down evenly (core/scale/). */
  async scale(app: string, entry: string, body: ScaleBody): Promise<EventQueue<DeployEvent>> {
    return trackActivity(this.context, { kind: 'scale', app, entry, ...(body.pod ? { pod: body.pod } : {}) }, await scale(this.context, app, entry, body));
  }

  /** A rolling replace to another version or image (core/replace/). */
  async replace(app: string, entry: string, body: ReplaceBody): Promise<EventQueue<DeployEvent>> {
    const meta = { kind: 'replace' as const, app, entry, ...(body.version ? { version: body.version } : {}), ...(body.pod ? { pod: body.pod } : {}) };
    return trackActivity(this.context, meta, await replace(this.context, app, entry, body));
  }

  /** A service's rollouts, numbered, oldest first (core/replace/rollouts.ts). */
  async rollouts(app: string, entry: string, pod?: string): Promise<Rollout[]> {
    const service = await serviceOf(this.context, app, entry, pod);
    return (await this.context.repos.rollouts.list(service.pod, app, entry)).map((r) => r.value);
  }

  /**
   * `eru rollout pause|resume|promote|abort`: marks the service's running rollout; the core doing the
   * replace acts on it between batches (core/replace/steer.ts).
   */
  async steer(app: string, entry: string, action: RolloutAction, pod: string | undefined, who: string): Promise<Rollout> {
    const service = await serviceOf(this.context, app, entry, pod);
    const running = await runningRollout(this.context, service);
    if (!running) throw conflict(`${app}/${entry} in pod ${service.pod} has no rollout under way: nothing to ${action}`);
    return changeRollout(this.context, running, (current) => steer(current, action, who));
  }

  /** Undo: a replace back to what ran before the last rollout that ended done (or to rollout `to`'s target). */
  async undo(app: string, entry: string, body: UndoBody): Promise<EventQueue<DeployEvent>> {
    const target = undoTarget(await this.rollouts(app, entry, body.pod), body.to);
    return this.replace(app, entry, parseWith(ReplaceBodySchema, { ...(body.pod ? { pod: body.pod } : {}), ...target }));
  }

  /** Every instance resized in place, and the size recorded (core/scale/resize.ts). */
  resize(app: string, entry: string, pod: string | undefined, body: ResizeBody): Promise<Workload[]> {
    return resizeService(this.context, app, entry, pod, body);
  }
}
