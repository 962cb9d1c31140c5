import type { DeployEvent } from '../../contract/events.js';
import { engineMessage } from '../../engine/engines.js';
import type { Workload } from '../../model/workload.js';
import { eachLimited } from '../background.js';
import type { CoreContext } from '../context.js';
import { ensureImage } from '../images/distribute.js';
import { runHooks } from '../workloads/hooks.js';
import { containerEnv } from '../apps/env.js';
import { bindsChecked } from '../apps/binds.js';
import { applyQuota, createContainer, dockerFor, prepareNetworks } from './containers.js';
import { volumesReady } from '../volumes/prepare.js';
import type { Reservation } from './reserve.js';
import { deadline } from '../../engine/docker.js';

/** Containers created and started at once on one node. */
const PER_NODE_PARALLELISM = 8;

export interface RolloutOutcome {
  /** Workload id → container id, for every container made. */
  containers: Map<string, string>;
  /** Workloads whose CPU quota is on already (the others wait for their startup boost to end). */
  quotaOn: Set<string>;
  failures: Array<{ id: string; node: string; error: string }>;
  /** Workloads whose create never reached Docker (not tried, or refused before it connected): they have no container to remove. */
  neverCreated: Set<string>;
}

/**
 * Step 3 of a deploy, "roll out": on every node at once, the image first (pulled or copied when the
 * node lacks it), then create and start each container, a bounded number at a time per node. The
 * first failure stops what has not begun; what failed is reported, and the caller rolls back.
 */
export async function rollOut(context: CoreContext, reservation: Reservation, emit: (event: DeployEvent) => void): Promise<RolloutOutcome> {
  const { intent, nodes } = reservation;
  const total = intent.workloads.length;
  const failures: RolloutOutcome['failures'] = [];
  const containers = new Map<string, string>();
  const quotaOn = new Set<string>();
  const neverCreated = new Set(intent.workloads.map((w) => w.id));
  const fail = (failure: RolloutOutcome['failures'][number]): void => {
    failures.push(failure);
    emit({ type: 'failed', ...failure });
  };
  let done = 0;
  await Promise.all(
    [...groupByNode(intent.workloads)].map(async ([node, workloads]) => {
      const docker = dockerFor(context.engines, nodes, node);
      const image = workloads[0]!.image;
      try {
        const moved = await ensureImage(context, docker, image, workloads[0]!.imageId);
        if (moved) emit({ type: 'image', node, image, ...moved });
      } catch (error) {
        fail({ id: workloads[0]!.id, node, error: `getting the image ${image}: ${engineMessage(error)}` });
        return;
      }
      try {
        await prepareNetworks(docker, nodes.get(node)!, reservation.networks, workloads[0]!.networks);
        await volumesReady(context, workloads[0]!);
        await bindsChecked(context, workloads[0]!);
      } catch (error) {
        fail({ id: workloads[0]!.id, node, error: engineMessage(error) });
        return;
      }
      await eachLimited(workloads, PER_NODE_PARALLELISM, async (workload) => {
        if (failures.length > 0) return;
        neverCreated.delete(workload.id);
        try {
          const container = await createContainer(docker, workload, await containerEnv(context, workload), { start: false, withoutQuota: true }).catch((error: unknown) => {
            if (neverArrived(error)) neverCreated.add(workload.id);
            throw error;
          });
          containers.set(workload.id, container.id);
          emit({ type: 'created', id: workload.id, node, container: container.id });
          await container.start(deadline());
          if (workload.startupBoost === undefined) {
            await applyQuota(docker, workload);
            quotaOn.add(workload.id);
          }
          emit({ type: 'started', id: workload.id, node, cpuset: workload.cpuSettings.cpusetCpus, done: ++done, total });
          const hookFailure = await runHooks(docker, workload, 'after_start', emit);
          if (hookFailure && workload.hooks?.force) fail({ id: workload.id, node, error: hookFailure });
        } catch (error) {
          fail({ id: workload.id, node, error: engineMessage(error) });
        }
      });
    }),
  );
  return { containers, quotaOn, failures, neverCreated };
}

/** A call that failed before it reached the daemon (no connection): it did nothing there. */
function neverArrived(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return code === 'ECONNREFUSED' || code === 'ENOENT';
}

function groupByNode(workloads: readonly Workload[]): Map<string, Workload[]> {
  const groups = new Map<string, Workload[]>();
  for (const workload of workloads) groups.set(workload.node, [...(groups.get(workload.node) ?? []), workload]);
  return groups;
}
