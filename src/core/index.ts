import { Applies } from './apply/index.js';
import { Backups } from './backup/index.js';
import { Checks } from './check/index.js';
import { Cores } from './cores/index.js';
import { Drains } from './drain/index.js';
import { hostname } from 'node:os';
import { MemoryBus } from '../bus/memory.js';
import type { Bus, Publish } from '../bus/types.js';
import { Engines } from '../engine/engines.js';
import { randomSuffix } from '../lib/ids.js';
import type { Log } from '../lib/log.js';
import type { Store } from '../store/types.js';
import { AgentGateway } from './agents/gateway.js';
import { AppService } from './apps/index.js';
import { DEFAULT_BIND_ROOTS } from './apps/binds.js';
import { Auth } from './auth/index.js';
import { Audit } from './audit/index.js';
import type { CoreContext } from './context.js';
import { indexPendingQuotas } from './cpu/boost.js';
import { checkLedgers } from './cpu/ledger-check.js';
import { migrate } from './cpu/migrations.js';
import { Deploys } from './deploy/index.js';
import { Events } from './events/index.js';
import { EventFeed } from './events/feed.js';
import { EventLog } from './events/log.js';
import { DEFAULT_EVENT_RETENTION_MS } from './events/prune.js';
import { BusRelay } from './events/relay.js';
import { Images } from './images/index.js';
import { Pipelines } from './pipeline/index.js';
import { IntentsInHand } from './intents-in-hand.js';
import { Leader } from './leader/index.js';
import { CoreMetrics } from './metrics.js';
import { NetworkService } from './networks/index.js';
import { NodeService } from './nodes/index.js';
import { PodService } from './pods/index.js';
import { Recovery } from './recovery.js';
import { Repositories } from './repositories.js';
import { Services } from './services/index.js';
import { Volumes } from './volumes/index.js';
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
  /** Where clients reach this core (listed by GET /v1/cores, so clients learn it). */
  advertise?: string;
  /** How long the event log keeps events for replays (default an hour). */
  eventRetentionMs?: number;
  /** Events the bus relay holds in memory while the bus is down before it reads them from the log again (default 10,000). */
  busBacklog?: number;
  /** Takes nodes whose endpoint is a simulated engine (sim://), for measuring the control plane (bench/c1m.ts). */
  allowSimulated?: boolean;
  log: Log;
}

/**
 * The core: one service per use-case folder (core/README.md maps them), composed once. The API
 * registers each route group with only the service it maps onto. `start` brings stored records up to
 * date, checks the ledgers, undoes what dead cores left and joins the leader election; `stop` ends that.
 */
export class Core {
  readonly pods: PodService;
  readonly nodes: NodeService;
  readonly apps: AppService;
  readonly images: Images;
  readonly pipelines: Pipelines;
  readonly deploys: Deploys;
  readonly services: Services;
  readonly workloads: WorkloadService;
  readonly networks: NetworkService;
  readonly volumes: Volumes;
  readonly events: Events;
  readonly agents: AgentGateway;
  readonly drains: Drains;
  readonly applies: Applies;
  readonly checks: Checks;
  readonly backups: Backups;
  readonly cores: Cores;
  readonly auth: Auth;
  readonly audit: Audit;
  readonly metrics: CoreMetrics;
  private readonly context: CoreContext;
  private readonly leader: Leader;
  private readonly recovery: Recovery;
  private readonly eventLog: EventLog;
  private readonly feed: EventFeed;

  constructor(options: CoreOptions) {
    const repos = new Repositories(options.store);
    const bus = options.bus ?? new MemoryBus();
    const { log } = options;
    const owner = `${hostname()}-${process.pid}-${randomSuffix()}`;
    // Everything published goes to the store's event log; the leader relays the log to the bus.
    this.eventLog = new EventLog(repos, owner, log);
    const publish: Publish = (e) => this.eventLog.append(e);
    this.feed = new EventFeed(repos);
    this.metrics = new CoreMetrics(repos);
    this.context = {
      repos,
      engines: new Engines(options.allowSimulated),
      publish,
      owner,
      inHand: new IntentsInHand(),
      ...(options.advertise ? { advertise: options.advertise } : {}),
      bindRoots: options.bindRoots ?? DEFAULT_BIND_ROOTS,
      ...(options.registry ? { registry: options.registry } : {}),
      log,
      metrics: this.metrics,
    };
    this.auth = new Auth(repos, options.adminToken);
    this.audit = new Audit(repos, log);
    this.nodes = new NodeService(this.context);
    this.pods = new PodService(this.context, this.nodes);
    this.apps = new AppService(this.context);
    this.images = new Images(this.context);
    this.deploys = new Deploys(this.context);
    this.services = new Services(this.context);
    this.pipelines = new Pipelines(this.context, { apps: this.apps, services: this.services });
    this.workloads = new WorkloadService(this.context, options.copyLimit);
    this.networks = new NetworkService(this.context, (ref) => this.workloads.resolve(ref));
    this.volumes = new Volumes(this.context);
    this.events = new Events(this.feed);
    this.agents = new AgentGateway(this.context, options.nodeTtlSeconds);
    this.drains = new Drains(this.context);
    this.applies = new Applies(this.context, this.deploys, this.services);
    this.checks = new Checks(this.context);
    this.backups = new Backups(this.context);
    this.cores = new Cores(this.context);
    this.leader = new Leader(this.context, this.agents.nodeTtlSeconds, this.checks, {
      relay: new BusRelay(repos, this.feed, bus, log, options.busBacklog),
      retentionMs: options.eventRetentionMs ?? DEFAULT_EVENT_RETENTION_MS,
    });
    this.recovery = new Recovery(this.context);
  }

  /** Before taking work: migrate what older cores stored, check the ledgers, undo dead cores' intents, join the election. */
  async start(): Promise<void> {
    await migrate(this.context);
    await indexPendingQuotas(this.context);
    await checkLedgers(this.context);
    await this.recovery.start();
    this.leader.start();
  }

  async stop(): Promise<void> {
    // What was published is logged before the core goes (a store that does not answer is not waited for long).
    await Promise.race([this.eventLog.flushed(), new Promise((resolve) => setTimeout(resolve, 3000).unref())]);
    this.agents.stop();
    await this.leader.stop();
    await this.recovery.stop();
    await this.feed.close();
    await this.context.repos.stopMirrors();
  }
}

export function createCore(options: CoreOptions): Core {
  return new Core(options);
}

// What the API sees of the core's folders: their services' types and the few values routes need.
export type { AgentGateway } from './agents/gateway.js';
export type { AppService } from './apps/index.js';
export type { Auth, Principal } from './auth/index.js';
export type { Audit } from './audit/index.js';
export { checkDeployer, mayChangeApp, redactEnv, redactService, redactWorkload, requireNode } from './auth/index.js';
export type { EventQueue } from './background.js';
export type { Applies } from './apply/index.js';
export type { Checks } from './check/index.js';
export type { Backups } from './backup/index.js';
export { restoreSnapshot } from './backup/index.js';
export type { Cores } from './cores/index.js';
export type { Deploys } from './deploy/index.js';
export type { Drains } from './drain/index.js';
export type { Events } from './events/index.js';
export type { Images } from './images/index.js';
export type { Pipelines } from './pipeline/index.js';
export { LOCAL_BUNDLE_LIMIT } from './pipeline/index.js';
export type { NetworkService } from './networks/index.js';
export type { EndpointFilter } from './networks/endpoints.js';
export type { NodeService } from './nodes/index.js';
export type { PodService } from './pods/index.js';
export type { Services } from './services/index.js';
export type { Volumes } from './volumes/index.js';
export type { WorkloadService } from './workloads/index.js';
export type { ExecService } from './workloads/exec.js';
export type { ArchiveService } from './workloads/archive.js';
export { ARCHIVE_LIMIT } from './workloads/archive.js';
