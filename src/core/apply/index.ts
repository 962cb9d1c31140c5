import type { ApplyEvent, DeployEvent } from '../../contract/events.js';
import { ReplaceBodySchema, ScaleBodySchema, type ApplyBody } from '../../contract/services.js';
import { DeployBodySchema } from '../../contract/workloads.js';
import { EruError, ErrorCode } from '../../lib/errors.js';
import { parseWith } from '../../lib/validate.js';
import { serviceKey } from '../../model/service.js';
import { failedResult, runInBackground, type EventQueue } from '../background.js';
import type { CoreContext } from '../context.js';
import type { Deploys } from '../deploy/index.js';
import type { Services } from '../services/index.js';
import { commandOf, plan, stepView, type Instance, type Step } from './plan.js';
import { requireTested, resolveVersion } from '../apps/versions.js';

/**
 * `eru apply` on the server (`PUT /v1/services`), so the CLI, the dashboard and the SDK converge the
 * same way: the desired services compared with the records and their instances (plan.ts, pure), then
 * each step carried out in order through the same use cases as `eru deploy`, `replace`, `resize` and
 * `scale` (so each is an activity of its app and holds its service's lock). The first step that fails
 * stops the rest; the result says what was done and what was not. With `dryRun`, only the plan.
 */
export class Applies {
  constructor(
    private readonly context: CoreContext,
    private readonly deploys: Deploys,
    private readonly services: Services,
  ) {}

  async apply(body: ApplyBody): Promise<EventQueue<ApplyEvent>> {
    const steps = plan(body.services, await this.services.list(), await this.instances());
    // Every version a step would run, checked before the first step: a refusal is a 4xx with nothing done.
    for (const [index, desired] of body.services.entries()) {
      if (desired.version === undefined || !steps.some((s) => s.desired === desired && (s.kind === 'create' || s.kind === 'replace'))) continue;
      try {
        requireTested((await resolveVersion(this.context.repos, desired.app, desired.version)).value, body.allowUntested);
      } catch (error) {
        throw error instanceof EruError ? error.under(['services', index]) : error;
      }
    }
    return runInBackground<ApplyEvent>(
      async (emit) => {
        emit({ type: 'plan', dryRun: body.dryRun, steps: steps.map(stepView) });
        if (body.dryRun) return { type: 'result', ok: true, dryRun: true, done: [], undone: steps.map(stepView) };
        for (const [index, step] of steps.entries()) {
          emit({ type: 'step', index, ...stepView(step) });
          try {
            await this.carryOut(step, emit, body.allowUntested);
          } catch (error) {
            const failed = { ...stepView(step), error: failedResult(error, ErrorCode.DEPLOY_FAILED).error };
            return { type: 'result', ok: false, dryRun: false, done: steps.slice(0, index).map(stepView), undone: steps.slice(index + 1).map(stepView), failed };
          }
        }
        return { type: 'result', ok: true, dryRun: false, done: steps.map(stepView), undone: [] };
      },
      (error) => ({ type: 'result', ok: false, dryRun: body.dryRun, done: [], undone: steps.map(stepView), error: failedResult(error, ErrorCode.INTERNAL).error }),
    );
  }

  private async instances(): Promise<Map<string, Instance[]>> {
    const instances = new Map<string, Instance[]>();
    for (const { value: w } of await this.context.repos.workloads.list()) {
      const key = serviceKey(w);
      instances.set(key, [...(instances.get(key) ?? []), { id: w.id, cpu: w.cpu, memory: w.placement.memory }]);
    }
    return instances;
  }

  private async carryOut(step: Step, emit: (event: ApplyEvent) => void, allowUntested: boolean): Promise<void> {
    const { app, entry, pod } = step.desired;
    const d = step.desired;
    switch (step.kind) {
      case 'create': {
        const body = parseWith(DeployBodySchema, {
          pod,
          app,
          entry,
          count: d.count,
          cpu: d.cpu,
          memory: d.memory,
          command: commandOf(d),
          networks: d.networks.map((name) => ({ name })),
          ...(d.version ? { version: d.version } : { image: d.image }),
          ...(d.envSet ? { envSet: d.envSet } : {}),
          ...(allowUntested ? { allowUntested: true } : {}),
        });
        return follow(await this.deploys.deploy(body), emit);
      }
      case 'replace':
        return follow(await this.services.replace(app, entry, parseWith(ReplaceBodySchema, { pod, ...(d.version !== undefined ? { version: d.version } : { image: d.image }), ...(allowUntested ? { allowUntested: true } : {}) })), emit);
      case 'resize':
        await this.services.resize(app, entry, pod, { cpu: d.cpu, memory: d.memory });
        return;
      case 'scale':
        return follow(await this.services.scale(app, entry, parseWith(ScaleBodySchema, { pod, count: d.count })), emit);
    }
  }
}

/** A sub-operation's progress passed on; its failure thrown. */
async function follow(queue: EventQueue<DeployEvent>, emit: (event: ApplyEvent) => void): Promise<void> {
  for await (const event of queue) {
    if (event.type !== 'result') emit(event);
    else if (!event.ok) throw new EruError(event.error.code, event.error.message, event.error.details !== undefined ? { details: event.error.details } : {});
  }
}
