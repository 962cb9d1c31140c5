import { parseAppYaml } from '../../build/appyaml.js';
import { invalid } from '../../lib/errors.js';
import { checkAppBinds } from '../apps/binds.js';
import type { DeployBody } from '../../contract/workloads.js';
import { builtVersion, requireTested } from '../apps/versions.js';
import type { CoreContext } from '../context.js';
import { expandAddresses } from '../networks/pool.js';
import { SharedVolumesSchema, type SharedVolume } from '../../model/volume.js';
import type { PlacementRequest } from './reserve.js';
import { envSetOf } from '../apps/env.js';
import { APP_USER } from '../../model/user.js';

/** The app's volumes, then the entrypoint's, then the request's: a later one of the same name wins. */
function mergeShared(layers: ReadonlyArray<readonly SharedVolume[]>): SharedVolume[] {
  const byName = new Map<string, SharedVolume>();
  for (const layer of layers) for (const volume of layer) byName.set(volume.name, volume);
  const merged = SharedVolumesSchema.safeParse([...byName.values()]);
  if (!merged.success) throw invalid(['shared', ...merged.error.issues[0]!.path.map(String)], `app.yaml and the request together: ${merged.error.issues[0]!.message}`);
  return merged.data;
}

/**
 * Step 1 of a deploy, "resolve": a deploy body as the scheduler needs it. With `version`, the image is the version's build and the
 * command, health check, restart policy, working directory and binds come from the app.yaml entrypoint;
 * `envSet` names that environment's vars, recorded by name and version (the values go into the container
 * when it is made, core/apps/env.ts; the body's own env wins). Without, the body is taken as it is.
 */
export async function resolveDeploy(context: CoreContext, body: DeployBody): Promise<PlacementRequest> {
  const { version: versionRef, envSet, image, networks: asked, keep: _keep, lostAfter: _lostAfter, allowUntested, ...others } = body;
  // Networks by name; fixed addresses, ranges expanded, apart for the reservation.
  const seen = new Set<string>();
  const fixedAddresses: Record<string, string[]> = {};
  asked.forEach((network, i) => {
    if (seen.has(network.name)) throw invalid(['networks', i, 'name'], `network ${network.name} is asked twice`);
    seen.add(network.name);
    if (network.addresses.length > 0) fixedAddresses[network.name] = expandAddresses(network.addresses, ['networks', i, 'addresses']);
  });
  // The service remembers the request as given, without how many and without fixed addresses.
  const { count: _count, ...asGiven } = body;
  const request = { ...asGiven, networks: asked.map((n) => ({ name: n.name })) };
  const rest = { ...others, networks: [...seen], fixedAddresses };
  const env = body.env;
  const set = envSet ? await envSetOf(context, body.app, envSet) : undefined;
  if (!versionRef) {
    if (!image) throw invalid(['image'], 'give image, or version to run a built version of the app');
    return { ...rest, image, env, ...(set ? { envSet: set } : {}), service: { request } };
  }
  const version = await builtVersion(context.repos, body.app, versionRef);
  requireTested(version, allowUntested ?? false);
  const app = parseAppYaml(version.appYaml);
  // Again at deploy: the operator may have narrowed the roots since the version was registered.
  checkAppBinds(app, context.bindRoots);
  const entry = app.entrypoints[body.entry];
  if (!entry) throw invalid(['entry'], `${body.app} has no entrypoint ${body.entry} (it has ${Object.keys(app.entrypoints).join(', ')})`);
  const health = entry.healthcheck;
  return {
    ...rest,
    service: { request, version: version.sha },
    image: version.image,
    ...(version.imageId ? { imageId: version.imageId } : {}),
    // The app's uid, numeric, whatever the image says (an admin may still give another).
    user: body.user ?? APP_USER,
    env,
    ...(set ? { envSet: set } : {}),
    // The image's launcher runs the entrypoint by name (build/launcher.ts).
    command: body.command.length > 0 ? body.command : [body.entry],
    restart: body.restart !== 'no' ? body.restart : (entry.restart ?? 'no'),
    expose: [...new Set([...body.expose, ...entry.ports.map((port) => (port.includes('/') ? port : `${port}/tcp`))])],
    labels: { ...Object.fromEntries(Object.entries(app.meta).map(([key, value]) => [`eru.meta.${key}`, value])), ...body.labels },
    ...(entry.dir && !body.workdir ? { workdir: entry.dir } : {}),
    ...(entry.hooks && !body.hooks ? { hooks: { afterStart: entry.hooks.after_start, beforeStop: entry.hooks.before_stop, force: entry.hooks.force } } : {}),
    ...(entry.startup_boost !== undefined && body.startupBoost === undefined ? { startupBoost: entry.startup_boost } : {}),
    shared: mergeShared([app.shared, entry.shared ?? [], body.shared]),
    binds: Object.entries(app.binds).map(([source, target]) => `${source}:${target.bind}${target.ro ? ':ro' : ''}`),
    ...(health && !body.healthcheck && (health.tcp_ports.length > 0 || health.http)
      ? {
          healthcheck: {
            tcpPorts: health.tcp_ports,
            ...(health.http ? { http: { port: health.http.port, path: health.http.url, code: health.http.code } } : {}),
            intervalSeconds: 2,
            timeoutSeconds: 2,
            retries: 3,
          },
        }
      : {}),
  };
}
