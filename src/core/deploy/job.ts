import { event } from '../../bus/index.js';
import type { DeployEvent } from '../../contract/events.js';
import type { JobBody } from '../../contract/workloads.js';
import { containerOutput } from '../../engine/output.js';
import { ErrorCode } from '../../lib/errors.js';
import { failedResult, runInBackground, type EventQueue } from '../background.js';
import type { CoreContext } from '../context.js';
import { applyQuota, createContainer, dockerFor, prepareNetworks } from './containers.js';
import { reserve, type Reservation } from './reserve.js';
import { volumesReady } from '../volumes/prepare.js';
import { rollBack } from './rollback.js';
import { ensureImage } from '../images/distribute.js';
import { containerEnv } from '../apps/env.js';
import { bindsChecked } from '../apps/binds.js';
import { put, unchanged } from '../repositories.js';
import { deadline } from '../../engine/docker.js';

/**
 * An offline job: placed like a deploy of one (so it holds its cores while it runs), its output
 * streamed, its exit code returned, and then removed with its resources released. While it runs it
 * lives in its intent (kind `job`), which `eru ps` and the pod map list; a core that dies leaves the
 * intent, and recovery removes the job.
 */
export async function runJob(context: CoreContext, body: JobBody): Promise<EventQueue<DeployEvent>> {
  const { repos, publish } = context;
  // One instance: one part.
  const [reservation] = (await reserve(repos, { ...body, restart: 'no', count: 1, strategy: 'AUTO', limit: 0, intentKind: 'job' }, context.owner)) as [Reservation];
  context.inHand.add(reservation.intent.id);
  const workload = reservation.intent.workloads[0]!;
  const about = { app: workload.app, pod: workload.pod, node: workload.node, workload: workload.id };
  let exitCode: number | undefined;
  return runInBackground(
    async (emit, room) => {
      emit({ type: 'planned', workloads: [{ id: workload.id, node: workload.node, cpuset: workload.cpuSettings.cpusetCpus }] });
      try {
        const docker = dockerFor(context.engines, reservation.nodes, workload.node);
        const moved = await ensureImage(context, docker, workload.image, workload.imageId);
        if (moved) emit({ type: 'image', node: workload.node, image: workload.image, ...moved });
        await prepareNetworks(docker, reservation.nodes.get(workload.node)!, reservation.networks, workload.networks);
        await volumesReady(context, workload);
        await bindsChecked(context, workload);
        const container = await createContainer(docker, workload, await containerEnv(context, workload), { start: false, withoutQuota: true });
        emit({ type: 'created', id: workload.id, node: workload.node, container: container.id });
        await container.start(deadline());
        await applyQuota(docker, workload).catch(() => undefined);
        // Its container is running: the intent says so (listed as running), unless recovery took it over.
        const started = { ...reservation.intent, workloads: [{ ...workload, containerId: container.id }] };
        await repos.commit([unchanged(repos.intents.key(started.id), reservation.revision)], [put(repos.intents.key(started.id), started)]);
        publish(event('job.started', { ...about, data: { entry: workload.entry, cpuset: workload.cpuSettings.cpusetCpus, container: container.id } }));
        emit({ type: 'started', id: workload.id, node: workload.node, cpuset: workload.cpuSettings.cpusetCpus, done: 1, total: 1 });
        for await (const output of containerOutput(container, { follow: true })) {
          await room(); // at the reader's pace: a job's output is not held in the core's memory
          emit({ type: 'output', ...output });
        }
        exitCode = ((await container.wait()) as { StatusCode: number }).StatusCode;
        return { type: 'result', ok: true, workloads: [workload], exitCode };
      } finally {
        await rollBack(context, reservation.intent, reservation.nodes).catch((error: unknown) => context.log.warn({ err: error, job: workload.id }, 'cannot remove a job; recovery will'));
        context.inHand.delete(reservation.intent.id);
        // Gone from the lists now: its container is removed and its pieces are free.
        publish(event('job.finished', { ...about, data: { entry: workload.entry, ...(exitCode !== undefined ? { exitCode } : {}) } }));
      }
    },
    (error) => {
      const failed = failedResult(error, ErrorCode.JOB_FAILED);
      return { ...failed, error: { ...failed.error, message: `job ${workload.id} on ${workload.node}: ${failed.error.message}` } };
    },
  );
}
