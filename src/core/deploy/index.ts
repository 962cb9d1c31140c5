import { event } from '../../bus/index.js';
import type { DeployEvent } from '../../contract/events.js';
import type { DeployBody } from '../../contract/workloads.js';
import { ErrorCode } from '../../lib/errors.js';
import { failedResult, runInBackground, type EventQueue } from '../background.js';
import type { CoreContext } from '../context.js';
import { commit } from './commit.js';
import { reserve, type Reservation } from './reserve.js';
import { resolveDeploy } from './resolve.js';
import { rollBack } from './rollback.js';
import { rollOut } from './rollout.js';

/**
 * A deploy (see README.md): resolve → reserve → roll out → (roll back) → commit.
 *
 * Resolving and reserving happen before the reply starts, so bad input and a request that cannot be
 * placed are plain 4xx answers that changed nothing. From the reservation on, the deploy runs in the
 * background and streams its progress; its intent in the store lets any core finish or undo it.
 */
export async function deploy(context: CoreContext, body: DeployBody): Promise<EventQueue<DeployEvent>> {
  const { metrics } = context;
  const started = performance.now();
  const request = await resolveDeploy(context, body);
  const reservation = await reserve(context.repos, request, context.owner, undefined, () => metrics.reservationAttempts.inc());
  metrics.scheduleSeconds.observe((performance.now() - started) / 1000);
  return runInBackground(
    async (emit) => {
      const result = await carryOut(context, reservation, (progress) => {
        emit(progress);
        announce(context, reservation, progress);
      });
      metrics.deploySeconds.observe({ outcome: result.ok ? 'ok' : 'failed' }, (performance.now() - started) / 1000);
      announce(context, reservation, result);
      return result;
    },
    (error) => failedResult(error, ErrorCode.DEPLOY_FAILED),
  );
}

type DeployResult = Extract<DeployEvent, { type: 'result' }>;

async function carryOut(context: CoreContext, reservation: Reservation, emit: (event: DeployEvent) => void): Promise<DeployResult> {
  if (reservation.alreadyDone !== undefined) return { type: 'result', ok: true, workloads: [], note: reservation.alreadyDone };
  const { intent, nodes } = reservation;
  emit({ type: 'planned', workloads: intent.workloads.map((w) => ({ id: w.id, node: w.node, cpuset: w.cpusetCpus })) });
  const outcome = await rollOut(context, reservation, emit);
  if (outcome.failures.length > 0) {
    emit({ type: 'rolledback', removed: await rollBack(context, intent, nodes) });
    const where = outcome.failures.map((f) => `${f.id} on ${f.node}: ${f.error}`).join('; ');
    return { type: 'result', ok: false, error: { code: ErrorCode.DEPLOY_FAILED, message: `deploy failed and was rolled back: ${where}`, details: { failures: outcome.failures } } };
  }
  const workloads = await commit(context, reservation, outcome.containers);
  if (!workloads) return { type: 'result', ok: false, error: { code: ErrorCode.DEPLOY_FAILED, message: 'the deploy was rolled back by another core' } };
  return { type: 'result', ok: true, workloads };
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
