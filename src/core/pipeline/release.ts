import { event } from '../../bus/index.js';
import type { DeployEvent } from '../../contract/events.js';
import { ReplaceBodySchema } from '../../contract/services.js';
import { EruError } from '../../lib/errors.js';
import { parseWith } from '../../lib/validate.js';
import type { Release } from '../../model/app.js';
import type { CoreContext } from '../context.js';
import type { Services } from '../services/index.js';

/**
 * Step "release" of the pipeline: a version that passed its tests rolled out to the app's release
 * service with `eru replace`'s machinery (healthy before old instances go, rolled back on a failed
 * batch). A service that does not exist yet, or runs another env set than the release names, is left
 * alone, with the reason. A replace that fails makes the push fail.
 */
export async function release(context: CoreContext, services: Services, app: string, sha: string, target: Release, emit: (event: Exclude<DeployEvent, { type: 'result' }>) => void): Promise<void> {
  const service = (await context.repos.services.get(target.pod, app, target.entry))?.value;
  if (!service) return emit({ type: 'note', message: `no release: ${app}/${target.entry} does not run in pod ${target.pod} yet (deploy it once)` });
  const env = (service.request as { envSet?: string }).envSet;
  if (target.env !== undefined && env !== target.env) return emit({ type: 'note', message: `no release: ${app}/${target.entry} in ${target.pod} runs env set ${env ?? '(none)'}, not ${target.env}` });
  if (service.version === sha) return emit({ type: 'note', message: `no release: ${app}/${target.entry} in ${target.pod} runs ${sha.slice(0, 7)} already` });
  emit({ type: 'note', message: `releasing ${sha.slice(0, 7)} to ${app}/${target.entry} in pod ${target.pod}` });
  const canary = target.canary !== undefined ? { canary: target.canary, canaryAuto: target.canaryAuto } : {};
  const rollout = await services.replace(app, target.entry, parseWith(ReplaceBodySchema, { pod: target.pod, version: sha, ...canary }));
  for await (const step of rollout) {
    if (step.type !== 'result') {
      emit(step);
      continue;
    }
    if (!step.ok) throw new EruError(step.error.code, `the release of ${sha.slice(0, 7)} to ${app}/${target.entry} failed: ${step.error.message}`);
  }
  context.publish(event('version.released', { app, pod: target.pod, data: { sha, entry: target.entry } }));
  emit({ type: 'note', message: `released ${sha.slice(0, 7)} to ${app}/${target.entry} in pod ${target.pod}` });
}
