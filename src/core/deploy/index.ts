import { event } from '../../bus/index.js';
import type { DeployEvent } from '../../contract/events.js';
import type { DeployBody, JobBody } from '../../contract/workloads.js';
import type { Intent } from '../../model/intent.js';
import { trackActivity } from '../apps/activities.js';
import { runJob } from './job.js';
import { ErrorCode } from '../../lib/errors.js';
import { failedResult, runInBackground, type EventQueue } from '../background.js';
import type { CoreContext } from '../context.js';
import { commit, firstStatus } from './commit.js';
import { reserve, type PlacementRequest, type Reservation } from './reserve.js';
import { resolveDeploy } from './resolve.js';
import { rollBack } from './rollback.js';
import { rollOut } from './rollout.js';
import { workloadState } from '../../contract/states.js';

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
  const parts = await reserveTimed(context, request, started);
  for (const part of parts) context.inHand.add(part.intent.id);
  return runInBackground(
    (emit) => finish(context, parts, started, emit).finally(() => parts.forEach((part) => context.inHand.delete(part.intent.id))),
    (error) => failedResult(error, ErrorCode.DEPLOY_FAILED),
  );
}

/** The same, waited for, by use cases that go on from its result (replace, scale). A refusal is thrown. */
export async function placeAndWait(context: CoreContext, request: PlacementRequest, emit: (event: DeployEvent) => void): Promise<DeployResult> {
  const started = performance.now();
  const parts = await reserveTimed(context, request, started);
  for (const part of parts) context.inHand.add(part.intent.id);
  try {
    return await finish(context, parts, started, emit);
  } finally {
    for (const part of parts) context.inHand.delete(part.intent.id);
  }
}

export type DeployResult = Extract<DeployEvent, { type: 'result' }>;

async function reserveTimed(context: CoreContext, request: PlacementRequest, started: number): Promise<Reservation[]> {
  const { metrics } = context;
  const reservation = await reserve(context.repos, request, context.owner, undefined, () => metrics.reservationAttempts.inc());
  metrics.scheduleSeconds.observe((performance.now() - started) / 1000);
  return reservation;
}

async function finish(context: CoreContext, parts: Reservation[], started: number, emit: (event: DeployEvent) => void): Promise<DeployResult> {
  const first = parts[0]!;
  const result = await carryOut(context, parts, (progress) => {
    emit(progress);
    announce(context, first, progress);
  });
  context.metrics.deploySeconds.observe({ outcome: result.ok ? 'ok' : 'failed' }, (performance.now() - started) / 1000);
  announce(context, first, result);
  return result;
}

/**
 * Rolls out every part's instances at once, then commits part by part (each within a transaction's
 * limit); a failure anywhere rolls every part back. The stream names the first part's intent (a
 * client whose core dies follows it), and its revision: the parts after it were reserved later.
 */
async function carryOut(context: CoreContext, parts: Reservation[], emit: (event: DeployEvent) => void): Promise<DeployResult> {
  const first = parts[0]!;
  if (first.alreadyDone !== undefined) return { type: 'result', ok: true, workloads: [], note: first.alreadyDone };
  const { nodes, leftOut } = first;
  const all = parts.flatMap((p) => p.intent.workloads);
  emit({ type: 'planned', intent: first.intent.id, revision: first.revision, workloads: all.map((w) => ({ id: w.id, node: w.node, cpuset: w.cpuSettings.cpusetCpus })), ...(leftOut ? { leftOut } : {}) });
  const outcome = await rollOut(context, { ...first, intent: { ...first.intent, workloads: all } }, emit);
  if (outcome.failures.length > 0) {
    const removed = await Promise.all(parts.map((p) => rollBack(context, p.intent, nodes, outcome.neverCreated)));
    emit({ type: 'rolledback', removed: removed.flat() });
    const where = outcome.failures.map((f) => `${f.id} on ${f.node}: ${f.error}`).join('; ');
    return { type: 'result', ok: false, error: { code: ErrorCode.DEPLOY_FAILED, message: `deploy failed and was rolled back: ${where}`, details: { failures: outcome.failures } } };
  }
  const workloads = [];
  for (const part of parts) {
    const committed = await commit(context, part, outcome);
    if (!committed) return { type: 'result', ok: false, error: { code: ErrorCode.DEPLOY_FAILED, message: `the deploy was rolled back by another core${workloads.length > 0 ? ` after ${workloads.length} of its ${all.length} instances were recorded` : ''}` } };
    workloads.push(...committed);
  }
  // Their states as the commit recorded them (an agent's report may follow at once; the events say so).
  const states = Object.fromEntries(workloads.map((w) => [w.id, workloadState(firstStatus(w), w.healthcheck !== undefined)]));
  return { type: 'result', ok: true, workloads, states, ...(leftOut ? { leftOut } : {}) };
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
