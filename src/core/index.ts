import { eventMatches } from '../contract/constants.js';
import type { Activity } from '../model/activity.js';
import type { PodMap } from '../contract/map.js';
import { hostname } from 'node:os';
import { MemoryBus } from '../bus/memory.js';
import type { Bus, Channel, Publish } from '../bus/types.js';
import type { BaseImageEvent, BuildEvent, DeployEvent, EruEvent, EventFilter, ImageCacheEvent } from '../contract/events.js';
import type { CapacityBody, DeployBody, JobBody, ResizeBody } from '../contract/workloads.js';
import { Engines } from '../engine/engines.js';
import { randomSuffix } from '../lib/ids.js';
import type { Log } from '../lib/log.js';
import type { BaseKind } from '../model/images.js';
import type { ConnectBody, Endpoint } from '../contract/networks.js';
import type { ReplaceBody, ScaleBody, ServiceView } from '../contract/services.js';
import { notFound } from '../lib/errors.js';
import type { Intent } from '../model/intent.js';
import type { Workload } from '../model/workload.js';
import type { CapacityReport } from '../scheduler/index.js';
import type { Store } from '../store/types.js';
import { AppService } from './apps/index.js';
import { DEFAULT_BIND_ROOTS } from './apps/binds.js';
import { Auth } from './auth/index.js';
import { EventQueue } from './background.js';
import { startBuild } from './builds.js';
import type { CoreContext } from './context.js';
import { deploy, podCapacity } from './deploy/index.js';
import { startBaseImages } from './images/base.js';
import { startImageCache } from './images/cache.js';
import { runJob } from './jobs.js';
import { checkLedgers } from './ledger-check.js';
import { Liveness } from './liveness.js';
import { CoreMetrics } from './metrics.js';
import { migrateLedgers } from './migrations.js';
import { indexPendingQuotas } from './boost.js';
import { appEndpoints, type EndpointFilter } from './networks/endpoints.js';
import { NetworkService } from './networks/index.js';
import { NodeService } from './nodes/index.js';
import { podMap } from './map.js';
import { trackActivity } from './activities.js';
import { appVolumes, removeVolume } from './volumes/index.js';
import type { VolumeRemoval, VolumeView } from '../contract/apps.js';
import { replace } from './replace/index.js';
import { scale } from './scale/index.js';
import { resizeService } from './scale/resize.js';
import { PodService } from './pods.js';
import { Recovery } from './recovery.js';
import { Repositories } from './repositories.js';
import { ArchiveService } from './workloads/archive.js';
import { ExecService } from './workloads/exec.js';
import { WorkloadService } from './workloads/index.js';

export interface CoreOptions {
  store: Store;
  /** Where changes are broadcast; in-process when not given. */
  bus?: Bus;
  /** The admin bearer token; node tokens are issued by the core and kept as hashes in the store. */
  adminToken: string;
  /** Seconds without a heartbeat before a node is marked down. */
  nodeTtlSeconds?: number;
  /** Push builds here and pull on nodes (HOST:PORT); else images are copied node to node. */
  registry?: string;
  /** Host directories app.yaml binds may use (default /srv/eru, /var/log/eru). */
  bindRoots?: readonly string[];
  /** Most bytes `eru cp` carries into or out of a container (default 512 MiB). */
  copyLimit?: number;
  log: Log;
}

/**
 * The core: every use case, composed once. `createCore` wires the store, the bus, the Docker clients
 * and the services; `start` brings stored records up to date, checks the ledgers, undoes what dead
 * cores left and begins watching node liveness; `stop` ends that. The API maps HTTP onto this.
 */
export class Core {
  readonly context: CoreContext;
  readonly bus: Bus;
  readonly auth: Auth;
  readonly pods: PodService;
  readonly nodes: NodeService;
  readonly apps: AppService;
  readonly workloads: WorkloadService;
  readonly liveness: Liveness;
  readonly networks: NetworkService;
  readonly exec: ExecService;
  readonly archive: ArchiveService;
  private readonly recovery: Recovery;

  constructor(options: CoreOptions) {
    const repos = new Repositories(options.store);
    this.bus = options.bus ?? new MemoryBus();
    const { log } = options;
    const publish: Publish = (e) => void this.bus.publish(e).catch((error: unknown) => log.warn({ err: error, event: e.type }, 'cannot publish'));
    this.context = {
      repos,
      engines: new Engines(),
      publish,
      owner: `${hostname()}-${process.pid}-${randomSuffix()}`,
      bindRoots: options.bindRoots ?? DEFAULT_BIND_ROOTS,
      ...(options.registry ? { registry: options.registry } : {}),
      log,
      metrics: new CoreMetrics(repos),
    };
    this.auth = new Auth(repos, options.adminToken);
    this.pods = new PodService(this.context);
    this.nodes = new NodeService(this.context);
    this.apps = new AppService(this.context);
    this.workloads = new WorkloadService(this.context);
    this.liveness = new Liveness(this.context, options.nodeTtlSeconds);
    this.networks = new NetworkService(this.context);
    this.exec = new ExecService(this.context);
    this.archive = new ArchiveService(this.context, options.copyLimit);
    this.recovery = new Recovery(this.context);
  }

  get metrics(): CoreMetrics {
    return this.context.metrics;
  }

  /** Before taking work: migrate what older cores stored, check the ledgers, undo dead cores' intents, watch liveness. */
  async start(): Promise<void> {
    await migrateLedgers(this.context);
    await indexPendingQuotas(this.context);
    await checkLedgers(this.context);
    await this.recovery.start();
    this.liveness.start();
  }

  async stop(): Promise<void> {
    await this.liveness.stop();
    await this.recovery.stop();
  }

  async deploy(body: DeployBody): Promise<EventQueue<DeployEvent>> {
    const meta = { kind: 'deploy' as const, app: body.app, pod: body.pod, entry: body.entry, ...(body.version ? { version: body.version } : {}) };
    return trackActivity(this.context, meta, await deploy(this.context, body));
  }

  capacity(pod: string, body: CapacityBody): Promise<CapacityReport> {
    return podCapacity(this.context.repos, pod, body);
  }

  /** The dashboard's map of a pod: cores, their holders, measured use (core/map.ts). */
  podMap(pod: string): Promise<PodMap> {
    return podMap(this.context, this.nodes, pod);
  }

  runJob(body: JobBody): Promise<EventQueue<DeployEvent>> {
    return runJob(this.context, body);
  }

  async build(app: string, version: string, pod: string): Promise<EventQueue<BuildEvent>> {
    return trackActivity(this.context, { kind: 'build', app, pod, version }, await startBuild(this.context, app, version, pod));
  }

  baseImages(kind: BaseKind, options: { pod?: string; nodes: string[]; force: boolean }): Promise<EventQueue<BaseImageEvent>> {
    return startBaseImages(this.context, kind, options);
  }

  cacheImage(app: string, version: string, options: { pod?: string; nodes: string[] }): Promise<EventQueue<ImageCacheEvent>> {
    return startImageCache(this.context, app, version, options);
  }

  /** Scales a service (core/scale/): up with the spec its instances have, down evenly. */
  async scale(app: string, entry: string, body: ScaleBody): Promise<EventQueue<DeployEvent>> {
    return trackActivity(this.context, { kind: 'scale', app, entry, ...(body.pod ? { pod: body.pod } : {}) }, await scale(this.context, app, entry, body));
  }

  /** Every service: its last deploy's request and spec, and how many instances it runs. */
  async services(): Promise<ServiceView[]> {
    const workloads = (await this.context.repos.workloads.list()).map((w) => w.value);
    return (await this.context.repos.services.list()).map(({ value: s }) => ({
      ...s,
      instances: workloads.filter((w) => w.pod === s.pod && w.app === s.app && w.entry === s.entry).length,
    }));
  }

  /** Resizes every instance of a service in place and records the size (core/scale/resize.ts). */
  resizeService(app: string, entry: string, pod: string | undefined, body: ResizeBody): Promise<Workload[]> {
    return resizeService(this.context, app, entry, pod, body);
  }

  /** A rolling replace of a service to another version (core/replace/). */
  async replace(app: string, entry: string, body: ReplaceBody): Promise<EventQueue<DeployEvent>> {
    const meta = { kind: 'replace' as const, app, entry, version: body.version, ...(body.pod ? { pod: body.pod } : {}) };
    return trackActivity(this.context, meta, await replace(this.context, app, entry, body));
  }

  /** An app's recent builds, deploys, scales and replaces, newest first. */
  /** An app's shared volumes with quota, use and users. */
  volumes(app: string): Promise<VolumeView[]> {
    return appVolumes(this.context, app);
  }

  /** Deletes an unused shared volume's directory and record. */
  removeVolume(app: string, name: string): Promise<VolumeRemoval> {
    return removeVolume(this.context, app, name);
  }

  async activities(app: string): Promise<Activity[]> {
    return (await this.context.repos.activities.list(app)).map((a) => a.value).reverse();
  }

  /** A running workload joins a network (an address from its pool, or the one asked). */
  connect(ref: string, body: ConnectBody): Promise<Workload> {
    return this.networks.connect(() => this.workloads.resolve(ref), body);
  }

  disconnect(ref: string, network: string): Promise<Workload> {
    return this.networks.disconnect(() => this.workloads.resolve(ref), network);
  }

  /** Where an app's workloads answer (core/networks/endpoints.ts). */
  async endpoints(app: string, filter: EndpointFilter): Promise<Endpoint[]> {
    if (!(await this.context.repos.apps.get(app)) && (await this.workloads.list({ app })).length === 0) throw notFound('app', app);
    return appEndpoints(this.context.repos, app, filter);
  }

  /** Deploys and removals under way (or left by a core that died, until another core undoes them). */
  async intents(): Promise<Intent[]> {
    return (await this.context.repos.intents.list()).map((i) => i.value);
  }

  /** The bus, filtered: the narrowest channel that holds everything asked for, the rest filtered here. */
  async watch(filter: EventFilter): Promise<{ events: EventQueue<EruEvent>; close: () => Promise<void> }> {
    const channel: Channel = filter.app ? { kind: 'app', app: filter.app } : filter.pod ? { kind: 'pod', pod: filter.pod } : { kind: 'all' };
    const events = new EventQueue<EruEvent>();
    const subscription = await this.bus.subscribe(channel, (e) => eventMatches(filter, e) && events.push(e));
    return {
      events,
      close: async () => {
        await subscription.close();
        events.end();
      },
    };
  }
}

export function createCore(options: CoreOptions): Core {
  return new Core(options);
}
