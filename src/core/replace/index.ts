import type { DeployEvent } from '../../contract/events.js';
import type { ReplaceBody } from '../../contract/services.js';
import type { DeployBody } from '../../contract/workloads.js';
import { DeployBodySchema } from '../../contract/workloads.js';
import { EruError, ErrorCode, conflict, invalid } from '../../lib/errors.js';
import { randomSuffix } from '../../lib/ids.js';
import { parseWith } from '../../lib/validate.js';
import type { Intent } from '../../model/intent.js';
import type { ReplaceState, Service } from '../../model/service.js';
import type { Workload } from '../../model/workload.js';
import { failedResult, runInBackground, type EventQueue } from '../background.js';
import type { CoreContext } from '../context.js';
import { placeAndWait, type DeployResult } from '../deploy/index.js';
import type { PlacementRequest } from '../deploy/reserve.js';
import { resolveDeploy } from '../deploy/resolve.js';
import { absent, put, unchanged } from '../repositories.js';
import { instancesOf, serviceOf } from '../scale/index.js';
import { runsName, type Rollout } from '../../model/rollout.js';
import { lockService } from '../services/lock.js';
import { endRollout, startRollout } from './rollouts.js';
import { RolloutSteering } from './steer.js';
import { recordedStates } from '../workloads/held.js';
import { removeWorkload } from '../workloads/remove.js';
import { waitHealthy } from './health.js';
import { rollBackReplace } from './rollback.js';

/**
 * A rolling replace of a service to another version, or another image (see README.md). New instances start ahead of
 * the old ones they replace (`maxSurge` at a time, planned by the scheduler), must turn healthy, and
 * only then do old ones go (drained out of the endpoints first). With no room to surge it replaces in
 * place, `maxUnavailable` at a time, each new instance on its old one's node and addresses. A batch
 * that fails stops the rollout and, unless told not to, every replaced instance goes back to the old
 * version. The whole replace is one intent in the store, so any core rolls it back if this one dies.
 */
export async function replace(context: CoreContext, app: string, entry: string, body: ReplaceBody): Promise<EventQueue<DeployEvent>> {
  const from = await serviceOf(context, app, entry, body.pod);
  if (body.version !== undefined && !from.version) throw invalid(['version'], `${app}/${entry} runs the image ${from.spec.image}, not a version of the app: replace it with an image (--image)`);
  if (body.image !== undefined && from.version) throw invalid(['image'], `${app}/${entry} runs version ${from.version.slice(0, 7)} of the app: replace it with a version (--version)`);
  // The same request, another version or image: resolved now, so a bad or unbuilt version is a 4xx before anything moves.
  // Whether an untested version may run is this request's to say, never inherited from the service's last one.
  const { allowUntested: _inherited, ...asBefore } = from.request as Record<string, unknown>;
  const request = parseWith(DeployBodySchema, { ...asBefore, ...(body.version !== undefined ? { version: body.version } : { image: body.image }), ...(body.allowUntested ? { allowUntested: true } : {}), count: 1 }) as DeployBody;
  const target = await resolveDeploy(context, request);
  // The service keeps its count through the replace.
  if (target.service && from.count !== undefined) target.service.desired = from.count;
  const to = runs({ version: target.service?.version, spec: target });
  if (to === runs(from)) throw conflict(`${app}/${entry} in pod ${from.pod} already runs ${to}`);
  const unlock = await lockService(context, from, `replacing with ${to}`);
  let rollout: Rollout | undefined;
  try {
    const old = (await instancesOf(context, from)).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    if (old.length === 0) throw conflict(`${app}/${entry} has no instance in pod ${from.pod} to replace; scale it up instead`);
    if (body.canary !== undefined && body.canary >= old.length) throw invalid(['canary'], `a canary of ${body.canary} needs more than ${body.canary} instance(s) to compare with; ${app}/${entry} runs ${old.length}`);
    const canary = body.canary === undefined ? undefined : { count: body.canary, ...(body.canaryAuto !== undefined ? { autoSeconds: body.canaryAuto } : {}) };
    const started = await startRollout(context, from, target.service?.version ? { version: target.service.version } : { image: target.image }, canary);
    rollout = started;
    const written = await begin(context, from, old);
    context.inHand.add(written.intent.id);
    const replacing = new Replacing(context, written, body, target, from, started);
    return runInBackground(
      async (emit) => {
        try {
          emit({ type: 'rollout', number: started.number, pod: from.pod });
          emit({ type: 'note', message: `rollout ${started.number} of ${app}/${entry}: ${runsName(started.from)} → ${runsName(started.to)}` });
          const result = await replacing.run(old, emit).catch(async (error: unknown) => {
            await endRollout(context, started, 'failed', error instanceof Error ? error.message : String(error));
            throw error;
          });
          if (result.ok) await endRollout(context, started, 'done');
          else await endRollout(context, started, replacing.aborted ? 'aborted' : body.rollback ? 'rolled back' : 'failed', result.error.message);
          return result;
        } finally {
          context.inHand.delete(written.intent.id);
          await unlock();
        }
      },
      (error) => failedResult(error, ErrorCode.DEPLOY_FAILED),
    );
  } catch (error) {
    if (rollout) await endRollout(context, rollout, 'failed', error instanceof Error ? error.message : String(error));
    await unlock();
    throw error;
  }
}

/** What a service's instances run, as people name it: the version's short sha, or the image. */
function runs(service: { version?: string | undefined; spec: { image: string } }): string {
  return service.version ? service.version.slice(0, 7) : service.spec.image;
}

/** The replace's intent, written before anything moves. */
async function begin(context: CoreContext, from: Service, old: Workload[]): Promise<{ intent: Intent; revision: number }> {
  const { repos, owner } = context;
  if ((await repos.intents.list()).some((i) => i.value.replace && i.value.replace.pod === from.pod && i.value.replace.app === from.app && i.value.replace.entry === from.entry)) {
    throw conflict(`${from.app}/${from.entry} in pod ${from.pod} is being replaced already`);
  }
  const state: ReplaceState = { pod: from.pod, app: from.app, entry: from.entry, from, oldIds: old.map((w) => w.id), removedOld: [], newIds: [] };
  const intent: Intent = { id: `replace-${Date.now().toString(36)}-${randomSuffix()}`, kind: 'replace', owner, createdAt: new Date().toISOString(), workloads: [], replace: state };
  const revision = await repos.commitAt([absent(repos.intents.key(intent.id))], [put(repos.intents.key(intent.id), intent)]);
  if (revision === null) throw conflict('a replace with the same id exists; try again');
  return { intent, revision };
}

class Replacing {
  private readonly state: ReplaceState;
  private intent: Intent;
  private revision: number;
  /** Stopped by `eru rollout abort` or its canary's verdict (and rolled back). */
  aborted = false;

  constructor(
    private readonly context: CoreContext,
    written: { intent: Intent; revision: number },
    private readonly body: ReplaceBody,
    private readonly target: PlacementRequest,
    private readonly from: Service,
    private readonly rollout: Rollout,
  ) {
    this.intent = written.intent;
    this.revision = written.revision;
    this.state = written.intent.replace!;
  }

  async run(old: Workload[], emit: (event: DeployEvent) => void): Promise<DeployResult> {
    const remaining = [...old];
    let inPlace = this.body.maxSurge === 0;
    const version = runs({ version: this.target.service?.version, spec: this.target });
    emit({ type: 'note', message: `replacing ${old.length} instance(s) of ${this.from.app}/${this.from.entry} with ${version}, ${inPlace ? `in place, ${this.body.maxUnavailable} at a time` : `${this.body.maxSurge} new ahead at a time`}` });
    const steering = new RolloutSteering(this.context, this.rollout, emit);
    while (remaining.length > 0) {
      const stop = await steering.checkpoint(this.state.newIds, this.state.oldIds.filter((id) => !this.state.removedOld.includes(id)));
      if (stop) {
        this.aborted = true;
        return this.fail(stop.abort, emit);
      }
      // A canary not yet promoted starts no more new instances than its count.
      const room = await steering.room(this.state.newIds.length);
      let failure: string | null;
      if (!inPlace) {
        const batch = remaining.slice(0, Math.min(this.body.maxSurge, remaining.length, room));
        const surged = await this.surge(batch, emit);
        if (typeof surged === 'object' && surged !== null) {
          inPlace = true;
          const why = Object.entries(surged.noRoom).map(([node, reason]) => `${node}: ${reason}`).join('; ');
          emit({ type: 'note', message: `no room in pod ${this.from.pod} to start new instances ahead of the old (${why}): replacing in place, ${Math.max(1, this.body.maxUnavailable)} at a time` });
          continue;
        }
        failure = surged;
        if (failure === null) remaining.splice(0, batch.length);
      } else {
        const batch = remaining.splice(0, Math.min(Math.max(1, this.body.maxUnavailable), remaining.length, room));
        failure = await this.inPlace(batch, emit);
      }
      if (failure !== null) return this.fail(failure, emit);
    }
    await this.context.repos.commit([unchanged(this.context.repos.intents.key(this.intent.id), this.revision)], [{ type: 'delete', key: this.context.repos.intents.key(this.intent.id) }]);
    emit({ type: 'note', message: `${this.state.newIds.length} instance(s) now run ${version}` });
    const workloads = await instancesOf(this.context, this.from);
    return { type: 'result', ok: true, workloads, states: await recordedStates(this.context.repos, workloads) };
  }

  /**
   * New instances first; once they are healthy the old ones go. With no room for them (too few free
   * cores, or every node's host port held by the old instances) nothing was reserved: `noRoom` says
   * why, per node.
   */
  private async surge(batch: Workload[], emit: (event: DeployEvent) => void): Promise<string | null | { noRoom: Record<string, string> }> {
    let placed: DeployResult;
    try {
      placed = await placeAndWait(this.context, { ...this.target, count: batch.length, strategy: 'AUTO', limit: 0 }, emit);
    } catch (error) {
      if (error instanceof EruError && error.code === ErrorCode.INSUFFICIENT_CAPACITY) return { noRoom: (error.details as { nodes?: Record<string, string> } | undefined)?.nodes ?? {} };
      throw error;
    }
    if (!placed.ok) return placed.error.message;
    await this.record({ newIds: [...this.state.newIds, ...placed.workloads.map((w) => w.id)] });
    const unhealthy = await this.healthy(placed.workloads);
    if (unhealthy) return unhealthy;
    for (const victim of batch) await this.retire(victim, emit);
    return null;
  }

  /** The old instances go first, then each is replaced on its own node with its own addresses. */
  private async inPlace(batch: Workload[], emit: (event: DeployEvent) => void): Promise<string | null> {
    for (const victim of batch) await this.retire(victim, emit);
    const placed: Workload[] = [];
    for (const victim of batch) {
      const fixedAddresses = Object.fromEntries(victim.addresses.map((a) => [a.network, [a.address]]));
      const addressesFixed = Object.fromEntries(victim.addresses.map((a) => [a.network, a.fixed === true]));
      const result = await placeAndWait(this.context, { ...this.target, count: 1, strategy: 'AUTO', limit: 0, nodes: [victim.node], nodeLabels: {}, fixedAddresses, addressesFixed }, emit);
      if (!result.ok) return result.error.message;
      placed.push(...result.workloads);
      await this.record({ newIds: [...this.state.newIds, ...result.workloads.map((w) => w.id)] });
    }
    return this.healthy(placed);
  }

  private async healthy(workloads: Workload[]): Promise<string | null> {
    const nodes = await this.context.repos.nodesByName();
    return waitHealthy((w) => this.context.engines.get(nodes.get(w.node)!), workloads, { minHealthySeconds: this.body.minHealthy, deadlineSeconds: this.body.healthyDeadline });
  }

  private async retire(victim: Workload, emit: (event: DeployEvent) => void): Promise<void> {
    const current = await this.context.repos.workloads.get(victim.id);
    if (current) {
      await removeWorkload(this.context, async () => (await this.context.repos.workloads.get(victim.id)) ?? current, () => new Date(), { drainSeconds: this.body.drain, emit });
      emit({ type: 'removed', id: victim.id, node: victim.node });
    }
    await this.record({ removedOld: [...this.state.removedOld, victim.id] });
  }

  /** Progress into the intent, guarded by its revision: a core that lost its intent to recovery stops. */
  private async record(change: Partial<ReplaceState>): Promise<void> {
    Object.assign(this.state, change);
    const next: Intent = { ...this.intent, replace: this.state };
    const key = this.context.repos.intents.key(this.intent.id);
    const at = await this.context.repos.commitAt([unchanged(key, this.revision)], [put(key, next)]);
    if (at === null) throw conflict('the replace was taken over by another core (this one was thought dead); it rolls it back');
    this.intent = next;
    this.revision = at;
  }

  private async fail(reason: string, emit: (event: DeployEvent) => void): Promise<DeployResult> {
    const key = this.context.repos.intents.key(this.intent.id);
    // An abort always rolls back: that is what it asks.
    if (!this.body.rollback && !this.aborted) {
      await this.context.repos.commit([unchanged(key, this.revision)], [{ type: 'delete', key }]);
      return { type: 'result', ok: false, error: { code: ErrorCode.DEPLOY_FAILED, message: `replace stopped: ${reason}; not rolled back (--no-rollback): ${this.state.newIds.length} new and ${this.state.oldIds.length - this.state.removedOld.length} old instance(s) run` } };
    }
    const what = this.aborted ? 'replace' : 'replace failed and was';
    emit({ type: 'note', message: `${this.aborted ? 'replace' : 'replace failed'}: ${reason}; rolling every replaced instance back to ${runs(this.from)}` });
    await rollBackReplace(this.context, this.state, emit);
    await this.context.repos.commit([unchanged(key, this.revision)], [{ type: 'delete', key }]);
    return { type: 'result', ok: false, error: { code: ErrorCode.DEPLOY_FAILED, message: `${what} rolled back: ${reason}; every instance runs ${runs(this.from)} again` } };
  }
}
