import type { DeployEvent } from '../contract/events.js';
import type { JobBody } from '../contract/workloads.js';
import { containerOutput, type OutputLine } from '../engine/output.js';
import { ErrorCode } from '../lib/errors.js';
import { failedResult, runInBackground, type EventQueue } from './background.js';
import type { CoreContext } from './context.js';
import { applyQuota, createContainer, dockerFor, prepareNetworks } from './deploy/containers.js';
import { reserve } from './deploy/reserve.js';
import { volumesReady } from './volumes/prepare.js';
import { rollBack } from './deploy/rollback.js';
import { ensureImage } from './images/distribute.js';

/**
 * An offline job: placed like a deploy of one (so it holds its cores while it runs), its output
 * streamed, its exit code returned, and then removed with its resources released. While it runs it
 * lives in its intent; a core that dies leaves the intent, and recovery removes the job.
 */
export async function runJob(context: CoreContext, body: JobBody): Promise<EventQueue<DeployEvent>> {
  const reservation = await reserve(context.repos, { ...body, restart: 'no', count: 1, strategy: 'AUTO', limit: 0 }, context.owner);
  const workload = reservation.intent.workloads[0]!;
  return runInBackground(
    async (emit) => {
      emit({ type: 'planned', workloads: [{ id: workload.id, node: workload.node, cpuset: workload.cpusetCpus }] });
      try {
        const docker = dockerFor(context.engines, reservation.nodes, workload.node);
        const moved = await ensureImage(context, docker, workload.image);
        if (moved) emit({ type: 'image', node: workload.node, image: workload.image, ...moved });
        await prepareNetworks(docker, reservation.nodes.get(workload.node)!, reservation.networks, workload.networks);
        await volumesReady(context, workload);
        const container = await createContainer(docker, workload, { start: false, withoutQuota: true });
        emit({ type: 'created', id: workload.id, node: workload.node, container: container.id });
        await container.start();
        await applyQuota(docker, workload).catch(() => undefined);
        emit({ type: 'started', id: workload.id, node: workload.node, cpuset: workload.cpusetCpus, done: 1, total: 1 });
        for await (const output of await containerOutput(container, { follow: true })) emit({ type: 'output', ...(output as OutputLine) });
        const exit = (await container.wait()) as { StatusCode: number };
        return { type: 'result', ok: true, workloads: [workload], exitCode: exit.StatusCode };
      } finally {
        await rollBack(context, reservation.intent, reservation.nodes).catch((error: unknown) => context.log.warn({ err: error, job: workload.id }, 'cannot remove a job; recovery will'));
      }
    },
    (error) => {
      const failed = failedResult(error, ErrorCode.JOB_FAILED);
      return { ...failed, error: { ...failed.error, message: `job ${workload.id} on ${workload.node}: ${failed.error.message}` } };
    },
  );
}
