import { engineMessage } from '../engine/engines.js';
import type { CoreContext } from './context.js';
import type { DeployEvent, JobBody } from './model/workload.js';
import { reserve } from './placement.js';
import { ensureImage } from './images.js';
import { createAndStart, dockerFor, rollBack } from './rollout.js';
import { EventQueue } from './stream.js';
import { containerOutput, type OutputLine } from './workloads.js';

/**
 * An offline job: placed like a deploy of one (so it holds its cores while it runs), its output
 * streamed, its exit code returned, and then removed with its resources released. While it runs it
 * lives in its intent; a core that dies leaves the intent, and recovery removes the job.
 */
export async function runJob(context: CoreContext, body: JobBody): Promise<EventQueue<DeployEvent>> {
  const { repos, engines, owner } = context;
  const reservation = await reserve(repos, { ...body, restart: 'no', count: 1, strategy: 'AUTO', limit: 0 }, owner);
  const events = new EventQueue<DeployEvent>();
  const workload = reservation.intent.workloads[0]!;
  const run = async (): Promise<void> => {
    events.push({ type: 'planned', workloads: [{ id: workload.id, node: workload.node, cpuset: workload.cpusetCpus }] });
    try {
      const docker = dockerFor(engines, reservation.nodes, workload.node);
      const moved = await ensureImage(context, docker, workload.image);
      if (moved) events.push({ type: 'image', node: workload.node, image: workload.image, ...moved });
      const container = await createAndStart(docker, workload, false);
      events.push({ type: 'created', id: workload.id, node: workload.node, container: container.id });
      await container.start();
      events.push({ type: 'started', id: workload.id, node: workload.node, cpuset: workload.cpusetCpus, done: 1, total: 1 });
      for await (const output of await containerOutput(container, { follow: true })) {
        const { stream, line } = output as OutputLine;
        events.push({ type: 'output', stream, line });
      }
      const exit = (await container.wait()) as { StatusCode: number };
      events.push({ type: 'result', ok: true, workloads: [workload], exitCode: exit.StatusCode });
    } catch (error) {
      events.push({ type: 'result', ok: false, error: { code: 'JOB_FAILED', message: `job ${workload.id} on ${workload.node}: ${engineMessage(error)}` } });
    } finally {
      await rollBack(context, reservation.intent, reservation.nodes).catch(() => undefined);
    }
  };
  void run().finally(() => events.end());
  return events;
}
