import { event } from '../../bus/index.js';
import type { DeployEvent } from '../../contract/events.js';
import type { DeployBody, JobBody } from '../../contract/workloads.js';
import type { Intent } from '../../model/intent.js';
import { trackActivity } from '../apps/activities.js';
import { runJob } from './job.js';
import { ErrorCode } from '../../lib/errors.js';
import { failedResult, runInBackground, type EventQueue } from '../background.js';
import type { CoreContext } from '../context.js';
import { commit } from './commit.js';
import { reserve, type PlacementRequest, type Reservation } from './reserve.js';
import { resolveDeploy } from './resolve.js';
import { rollBack } from './rollback.js';
import { rollOut } from './rollout.js';
import { recordedStates } from '../workloads/held.js';

/** Deploys, jobs (job.ts), and what is under way (intents): the `deploys` service of the core. */
export class Deploys {
  constructor(private readonly context: CoreContext) {}

  async deploy(body: DeployBody): Promise<EventQueue<DeployEvent>> {
    const meta = { kind: 'deploy' as const, app: body.app, pod: body.pod, entry: body.entry, ...(body.version ? { version: body.version } : {}) };
    return trackActivity(this.context, meta, await deploy(this.context, body));
  }

  runJob(body: JobBody): Promise<EventQueue<DeployEvent>> {
    return runJob(this.context, body);
  }

  /** Deploys, jobs, replaces and removals under way (or left by a core that died, until another core undoes them). */
  async intents(): Promise<Intent[]> {
    return (await this.context.repos.intents.list()).map((i) => i.value);
  }
}

/**
 * A deploy (see README.md): resolve → reserve → roll out → (roll back) → commit.
 *
 * Resolving and reserving happen before the reply starts, so bad input and a request that cannot be
 * placed are plain 4xx answers that changed nothing. From the reservation on, the deploy runs in the
 * background and streams its progress; its intent in the store lets any core finish or undo it.
 */
export async function deploy(context: CoreContext, body: DeployBody): Promise<EventQueue<DeployEvent>> {
  return place(context, await resolveDeploy(context, body));
}

/** Steps 2–5 for a resolved request (a deploy, a scale up): reserved before this returns, the rest in the background. */
export async function place(context: CoreContext, request: PlacementRequest): Promise<EventQueue<DeployEvent>> {
  const started = performance.now();
  const reservation = await reserveTimed(context, request, started);
  context.inHand.add(reservation.intent.id);
  return runInBackground(
    (emit) => finish(context, reservation, started, emit).finally(() => context.inHand.delete(reservation.intent.id)),
    (error) => failedResult(error, ErrorCode.DEPLOY_FAILED),
  );
}

/** The same, waited for, by use cases that go on from its result (replace, scale). A refusal is thrown. */
export async function placeAndWait(context: CoreContext, request: PlacementRequest, emit: (event: DeployEvent) => void): Promise<DeployResult> {
  const started = performance.now();
  const reservation = await reserveTimed(context, request, started);
  return context.inHand.holding(reservation.intent.id, () => finish(context, reservation, started, emit));
}

export type DeployResult = Extract<DeployEvent, { type: 'result' }>;

async function reserveTimed(context: CoreContext, request: PlacementRequest, started: number): Promise<Reservation> {
  const { metrics } = context;
  const reservation = await reserve(context.repos, request, context.owner, undefined, () => metrics.reservationAttempts.inc());
  metrics.scheduleSeconds.observe((performance.now() - started) / 1000);
  return reservation;
}

async function finish(context: CoreContext, reservation: Reservation, started: number, emit: (event: DeployEvent) => void): Promise<DeployResult> {
  const result = await carryOut(context, reservation, (progress) => {
    emit(progress);
    announce(context, reservation, progress);
  });
  context.metrics.deploySeconds.observe({ outcome: result.ok ? 'ok' : 'failed' }, (performance.now() - started) / 1000);
  announce(context, reservation, result);
  return result;
}

async function carryOut(context: CoreContext, reservation: Reservation, emit: (event: DeployEvent) => void): Promise<DeployResult> {
  if (reservation.alreadyDone !== undefined) return { type: 'result', ok: true, workloads: [], note: reservation.alreadyDone };
  const { intent, nodes, leftOut } = reservation;
  emit({ type: 'planned', intent: intent.id, revision: reservation.revision, workloads: intent.workloads.map((w) => ({ id: w.id, node: w.node, cpuset: w.cpuSettings.cpusetCpus })), ...(leftOut ? { leftOut } : {}) });
  const outcome = await rollOut(context, reservation, emit);
  if (outcome.failures.length > 0) {
    emit({ type: 'rolledback', removed: await rollBack(context, intent, nodes, outcome.neverCreated) });
    const where = outcome.failures.map((f) => `${f.id} on ${f.node}: ${f.error}`).join('; ');
    return { type: 'result', ok: false, error: { code: ErrorCode.DEPLOY_FAILED, message: `deploy failed and was rolled back: ${where}`, details: { failures: outcome.failures } } };
  }
  const workloads = await commit(context, reservation, outcome);
  if (!workloads) return { type: 'result', ok: false, error: { code: ErrorCode.DEPLOY_FAILED, message: 'the deploy was rolled back by another core' } };
  return { type: 'result', ok: true, workloads, states: await recordedStates(context.repos, workloads), ...(leftOut ? { leftOut } : {}) };
}

/** Progress and results also go to the bus, as deploy.progress and deploy.result. */
function announce({ publish }: CoreContext, { intent }: Reservation, progress: DeployEvent): void {
  const first = intent.workloads[0];
  if (!first) return;
  const { app, pod } = first;
  if (progress.type === 'result') {
    const data = progress.ok ? { workloads: progress.workloads.map((w) => w.id) } : { error: progress.error };
    publish(event('deploy.result', { app, pod, data: { deploy: intent.id, ok: progress.ok, ...data } }));
  } else if (progress.type === 'started' || progress.type === 'failed') {
    publish(event('deploy.progress', { app, pod, node: progress.node, workload: progress.id, data: { deploy: intent.id, ...progress } }));
  }
}

export { podCapacity } from './reserve.js';
