import { serviceKey, type Service } from '../../model/service.js';
import type { CoreContext } from '../context.js';
import { idsOf } from '../repositories.js';
import { assess, type KeeperPlan } from './assess.js';
import { removeFenced } from './fence.js';
import { repair } from './repair.js';

/** After a repair fails (no room, a node filter that names only dead nodes), the service waits this long. */
const RETRY_AFTER_MS = 10_000;

/**
 * The keeper (see README.md): run by the leader core, it holds every kept service at its count.
 * Each look reads the services, their instances and the nodes' liveness once, decides per service
 * (assess.ts, pure) and repairs the services that need it one at a time (repair.ts), skipping any
 * service another change holds (a deploy's or replace's intent, a scale's lock). Then it removes what
 * returning gone nodes still run (fence.ts).
 */
export class Keeper {
  private looking = false;
  private readonly exitedSince = new Map<string, number>();
  private readonly retryAt = new Map<string, number>();
  private readonly told = new Map<string, string>();
  private nextLookAt = 0;

  constructor(private readonly context: CoreContext) {}

  /**
   * Looks unless the last look is still at work (a repair may take as long as a deploy), or the last
   * one ended lately: a look that read a large cluster (a million workloads) waits ten times what its
   * reading took, so the keeper never takes more than a tenth of the leader's time.
   */
  poke(): void {
    if (this.looking || Date.now() < this.nextLookAt) return;
    this.looking = true;
    void this.look()
      .catch((error: unknown) => this.context.log.warn({ err: error }, "the keeper's look failed; looking again"))
      .finally(() => {
        this.looking = false;
      });
  }

  async look(): Promise<void> {
    const { repos } = this.context;
    const reading = Date.now();
    const { services, plans } = await this.snapshot();
    this.nextLookAt = Date.now() + 9 * (Date.now() - reading);
    const now = Date.now();
    for (const service of services) {
      const key = serviceKey(service);
      const plan = plans.get(key);
      if (!plan || (this.retryAt.get(key) ?? 0) > now) continue;
      this.tell(key, plan.holding);
      if (!needsRepair(plan)) continue;
      await this.repairOne(service, key);
    }
    const [nodes, alive] = await Promise.all([repos.mirrored.nodes(), repos.alive.list()]);
    await removeFenced(this.context, nodes.list().map((n) => n.value), alive);
  }

  /**
   * Every kept service not busy, with what it needs. The intents are read first: a deploy records its
   * instances, raises the count and drops its intent in one transaction, so a deploy not seen done
   * here is still seen busy — instances and count are never read half before it and half after.
   */
  private async snapshot(only?: string): Promise<{ services: Service[]; plans: Map<string, KeeperPlan> }> {
    const { repos } = this.context;
    const intents = await repos.intents.list();
    const [services, nodeStatuses] = await Promise.all([repos.services.list(), (await repos.mirrored.nodeStatus()).fresh().then((m) => m.list())]);
    const now = Date.now();
    const busy = new Set<string>();
    for (const { value: intent } of intents) {
      for (const w of intent.workloads) busy.add(serviceKey(w));
      if (intent.replace) busy.add(serviceKey(intent.replace));
    }
    const nodeStatusByName = new Map(nodeStatuses.map((s) => [s.name, s.value]));
    const plans = new Map<string, KeeperPlan>();
    const kept = services.map((s) => s.value).filter((s) => (only === undefined || serviceKey(s) === only) && s.keep && s.count !== undefined && !busy.has(serviceKey(s)));
    // Each service's instances and statuses are one range of keys: read one service at a time, never all workloads at once.
    for (const service of kept) {
      const key = serviceKey(service);
      const ids = idsOf(service.app, service.entry);
      const [workloads, statuses] = await Promise.all([repos.workloads.listStarting(ids), repos.statuses.listStarting(ids)]);
      const instances = workloads.map((w) => w.value).filter((w) => w.pod === service.pod);
      const statusById = new Map(statuses.map((s) => [s.value.id, s.value]));
      this.noteExited(statusById, ids, now);
      plans.set(key, assess({ service, instances, statuses: statusById, nodeStatuses: nodeStatusByName, exitedSince: this.exitedSince, now }));
    }
    return { services: kept, plans };
  }

  /** Repairs one service, deciding again once its lock is held: what the look saw may have been done meanwhile. */
  private async repairOne(seen: Service, key: string): Promise<void> {
    const result = await repair(this.context, seen, async () => {
      const { services, plans } = await this.snapshot(key);
      const plan = plans.get(key);
      return services[0] && plan && needsRepair(plan) ? { service: services[0], plan } : undefined;
    });
    if (result && !result.ok) {
      this.retryAt.set(key, Date.now() + RETRY_AFTER_MS);
      this.context.log.warn({ service: key, error: result.error.message }, 'the keeper could not restore a service; trying again later');
    } else {
      this.retryAt.delete(key);
    }
  }

  /** When each instance (of the workloads whose ids start with `ids`) was first seen exited; forgotten once it runs again or is gone. */
  private noteExited(statuses: ReadonlyMap<string, { running: boolean; exitCode?: number | undefined }>, ids: string, now: number): void {
    for (const [id, status] of statuses) {
      if (!status.running && status.exitCode !== undefined) {
        if (!this.exitedSince.has(id)) this.exitedSince.set(id, now);
      } else this.exitedSince.delete(id);
    }
    for (const id of this.exitedSince.keys()) if (id.startsWith(ids) && !statuses.has(id)) this.exitedSince.delete(id);
  }

  /** A reason the keeper waits, logged once until it changes. */
  private tell(key: string, holding: string | undefined): void {
    if (this.told.get(key) === holding) return;
    if (holding) {
      this.told.set(key, holding);
      this.context.log.warn({ service: key }, holding);
    } else this.told.delete(key);
  }
}

const needsRepair = (plan: KeeperPlan): boolean => plan.add > 0 || plan.exited.length > 0 || plan.surplus.length > 0;
