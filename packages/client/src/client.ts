import type { Activity, App, ArchiveStat, CheckBody, CheckReport, CoreView, Snapshot, ExecBody, ExecState, ExecView, ResizeTty, AppEnv, AppListItem, AppVersion, AppVersionView, ApplyEvent, AuditEntry, AuditQuery, BaseImageBody, BaseImageEvent, BuildEvent, CapacityBody, CapacityReportView, ConnectBody, ControlAction, DeployBody, DeployEvent, DrainBody, DrainEvent, Endpoint, ErrorBody, EruEvent, EventFilter, Heartbeat, HeartbeatAnswer, ImageCacheBody, ImageCacheEvent, Intent, IssuedToken, PipelineBody, PipelineView, JobBody, NetworkCreate, NetworkView, NodeCreate, NodePatch, NodeView, OutputLine, Pod, PodCreate, PodMap, PodPatch, RegisterBody, ReplaceBody, ResizeBody, Rollout, ServiceView, StatusAnswer, StatusReport, TokenCreate, TokenView, VolumeRemoval, VolumeView, Workload, WorkloadFilter, WorkloadInspect, WorkloadListItem } from './wire.js';
import { EruError, ErrorCode } from './errors.js';
import { ndjson } from './lines.js';
import { CONTINUE_HEADER, EVENTS_FROM_HEADER } from './protocol.js';
import { explainTransportFailure, fetchTransport, readText, type ClientTls, TransportError, type Transport, type TransportResponse } from './transport.js';

type Query = Record<string, string | number | boolean | undefined>;

/** A deploy's plan: which intent carries it out, from which revision, and its instances. */
type PlannedEvent = Extract<DeployEvent, { type: 'planned' }>;

/** The last event of a long operation. */
export type ResultOf<E extends { type: string }> = Extract<E, { type: 'result' }>;

/**
 * The typed client of Eru's API: the SDK a team imports (`eru-client`) to call the core and watch its
 * events, and what the CLI, the agent, the tests and the benches use. JSON calls throw an EruError
 * with the core's code, message and field path; streamed calls hand over NDJSON events as they come.
 */
export class EruClient {
  /** Every core this client may call, in order of preference (`url` may name several, comma-separated). */
  readonly urls: string[];
  readonly token: string | undefined;
  /** The core calls go to now: the first, until it fails and the next answers. */
  private current = 0;
  /** What Node's own requests (exec, cp: node-request.ts) trust and show over HTTPS; fetch uses the system's CAs. */
  readonly tls: ClientTls | undefined;
  private readonly transport: Transport;
  /** How often a request refused with 429 is tried again. */
  private readonly retries: number;

  /**
   * The core at `url` (or several: `http://a:5001,http://b:5001`), with `token`: the client reads no
   * file and no environment (the CLI does, cli/config.ts). With several, a call that cannot reach one
   * goes to the next (see `send`). Over HTTPS with a private CA (or a client certificate), pass `tls`
   * and `transport: nodeTransport(tls)`.
   */
  constructor(config: { url: string; token?: string; tls?: ClientTls; transport?: Transport; retries?: number }) {
    this.urls = config.url
      .split(',')
      .map((u) => u.trim().replace(/\/+$/, ''))
      .filter(Boolean);
    if (this.urls.length === 0) throw new EruError(ErrorCode.INVALID_ARGUMENT, 'no core URL given', { path: ['url'] });
    this.token = config.token;
    this.tls = config.tls;
    this.transport = config.transport ?? fetchTransport;
    this.retries = config.retries ?? 3;
  }

  /** The core calls go to now. */
  get url(): string {
    return this.urls[this.current]!;
  }

  /** One JSON call; a non-2xx answer is thrown as an EruError. */
  async request<T>(method: string, path: string, body?: unknown, options: { repeatable?: boolean } = {}): Promise<T> {
    const { status, body: data } = await this.call<T>(method, path, body, options);
    if (status >= 400) throw apiError(status, data);
    return data as T;
  }

  /** One JSON call, answered whatever its status (for callers that look at refusals themselves). */
  async call<T = unknown>(method: string, path: string, body?: unknown, options: { token?: string | null; repeatable?: boolean } = {}): Promise<{ status: number; body: T }> {
    const response = await this.send(method, path, body, options.token === undefined ? this.token : options.token, undefined, options.repeatable);
    const text = await readText(response.body);
    let data: unknown;
    try {
      data = text ? JSON.parse(text) : undefined;
    } catch {
      data = text;
    }
    return { status: response.status, body: data as T };
  }

  /** Each page of a paged list (`limit`, `continue`), following the Eru-Continue header until the last. */
  async *pages<T>(path: string, filter: Query): AsyncGenerator<T[]> {
    let next: string | undefined;
    do {
      const response = await this.send('GET', `${path}${query({ ...filter, ...(next !== undefined ? { continue: next } : {}) })}`);
      const text = await readText(response.body);
      if (response.status >= 400) throw apiError(response.status, parseError(text));
      yield JSON.parse(text) as T[];
      next = response.header?.(CONTINUE_HEADER);
    } while (next);
  }

  private async all<T>(pages: AsyncIterable<T[]>): Promise<T[]> {
    const items: T[] = [];
    for await (const page of pages) items.push(...page);
    return items;
  }

  /** A whole streamed reply at once, whatever its status: the events, or the refusal (for callers that look at refusals themselves). */
  async collect<T>(method: string, path: string, body?: unknown): Promise<{ status: number; events: T[]; refused?: ErrorBody }> {
    const response = await this.send(method, path, body);
    if (response.status >= 400) return { status: response.status, events: [], refused: parseError(await readText(response.body)) };
    const events: T[] = [];
    for await (const event of ndjson<T>(response.body)) events.push(event);
    return { status: response.status, events };
  }

  /** A streamed reply: one JSON event per line, handed over as they arrive. A refusal (4xx) is thrown before any event. */
  async *stream<T>(method: string, path: string, body?: unknown, onOpen?: () => void, signal?: AbortSignal): AsyncGenerator<T> {
    const response = await this.send(method, path, body, this.token, signal);
    if (response.status >= 400) throw apiError(response.status, parseError(await readText(response.body)));
    onOpen?.();
    yield* ndjson<T>(response.body);
  }

  /** A long operation followed to its result event; `onEvent` sees every event, the result included. */
  async follow<E extends { type: string }>(method: string, path: string, body: unknown, onEvent: (event: E) => void = () => undefined): Promise<ResultOf<E>> {
    let result: ResultOf<E> | undefined;
    for await (const event of this.stream<E>(method, path, body)) {
      onEvent(event);
      if (event.type === 'result') result = event as ResultOf<E>;
    }
    if (!result) throw new EruError(ErrorCode.UNAVAILABLE, 'the core closed the stream before the result');
    return result;
  }

  /**
   * One request, to the current core, moving to the next when it cannot be had: any call whose
   * connection was refused (it never reached a core), and a repeatable one (GET, PUT, DELETE, or a
   * caller's say-so: an agent's heartbeat) that met a cut connection or a 503 (a core without its
   * store). The core that answered stays current.
   */
  private async send(method: string, path: string, body?: unknown, token: string | null | undefined = this.token, signal?: AbortSignal, repeatable = IDEMPOTENT.has(method)): Promise<TransportResponse> {
    for (let tried = 1; ; tried++) {
      const at = this.current;
      const last = tried >= this.urls.length;
      let response: TransportResponse;
      try {
        response = await this.sendRated(at, method, path, body, token, signal);
      } catch (error) {
        const reason = ((error as EruError).details as { reason?: string } | undefined)?.reason;
        const movable = reason !== undefined && !signal?.aborted && (NEVER_ARRIVED.test(reason) || (repeatable && CUT.test(reason)));
        if (!movable) throw error;
        if (last) throw this.urls.length > 1 ? new EruError(ErrorCode.UNAVAILABLE, `${(error as Error).message} — and no other core answered (tried ${this.urls.join(', ')})`, { details: { reason } }) : error;
        this.moveOn(at);
        continue;
      }
      if (response.status !== 503 || last || !repeatable) return response;
      await readText(response.body).catch(() => '');
      this.moveOn(at);
    }
  }

  /** The next core becomes current (unless another call moved on already). */
  private moveOn(from: number): void {
    if (this.current === from) this.current = (from + 1) % this.urls.length;
  }

  /**
   * One request to one core; a 429 (over the token's rate) is tried again after the Retry-After the
   * core names, up to three times, since the core refused it before doing anything.
   */
  private async sendRated(at: number, method: string, path: string, body: unknown, token: string | null | undefined, signal: AbortSignal | undefined): Promise<TransportResponse> {
    for (let attempt = 1; ; attempt++) {
      const response = await this.sendOnce(this.urls[at]!, method, path, body, token, signal);
      if (response.status !== 429 || attempt > this.retries) return response;
      const refusal = parseError(await readText(response.body));
      const seconds = Math.min(10, Math.max(1, Number((refusal?.details as { retryAfter?: number } | undefined)?.retryAfter ?? 1)));
      await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    }
  }

  private async sendOnce(url: string, method: string, path: string, body: unknown, token: string | null | undefined, signal: AbortSignal | undefined): Promise<TransportResponse> {
    try {
      return await this.transport({
        ...(signal ? { signal } : {}),
        method,
        url: `${url}${path}`,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
      });
    } catch (error) {
      const reason = error instanceof TransportError ? error.reason : (error as Error).message;
      throw new EruError(ErrorCode.UNAVAILABLE, `cannot reach the core at ${url}: ${explainTransportFailure(reason, url, this.tls)}`, { details: { reason } });
    }
  }

  readonly pods = {
    list: () => this.request<Pod[]>('GET', '/v1/pods'),
    get: (pod: string) => this.request<Pod>('GET', `/v1/pods/${enc(pod)}`),
    create: (body: Partial<PodCreate> & { name: string }) => this.request<Pod>('POST', '/v1/pods', body),
    remove: (pod: string) => this.request<Pod>('DELETE', `/v1/pods/${enc(pod)}`),
    update: (pod: string, patch: PodPatch) => this.request<Pod>('PATCH', `/v1/pods/${enc(pod)}`, patch),
    capacity: (pod: string, body: Partial<CapacityBody>) => this.request<CapacityReportView>('POST', `/v1/pods/${enc(pod)}/capacity`, body),
    /** Every node's cores, their holders and measured use, in one answer (the dashboard's map). */
    map: (pod: string) => this.request<PodMap>('GET', `/v1/pods/${enc(pod)}/map`),
  };

  readonly nodes = {
    /** Every node (of a pod), page after page. */
    list: (pod?: string) => this.all(this.pages<NodeView>(pod ? `/v1/pods/${enc(pod)}/nodes` : '/v1/nodes', {})),
    get: (node: string) => this.request<NodeView>('GET', `/v1/nodes/${enc(node)}`),
    add: (pod: string, body: Partial<NodeCreate> & { name: string; endpoint: string }) => this.request<NodeView>('POST', `/v1/pods/${enc(pod)}/nodes`, body),
    update: (node: string, patch: NodePatch) => this.request<NodeView>('PATCH', `/v1/nodes/${enc(node)}`, patch),
    remove: (node: string) => this.request<NodeView>('DELETE', `/v1/nodes/${enc(node)}`),
    issueToken: (node: string, options: { expires?: string } = {}) => this.request<IssuedToken>('POST', `/v1/nodes/${enc(node)}/tokens`, options),
    /** Empty a node: kept instances moved off it; the result says what is left. */
    drain: (node: string, body: Partial<DrainBody> = {}, onEvent?: (event: DrainEvent) => void) => this.follow<DrainEvent>('POST', `/v1/nodes/${enc(node)}/drain`, body, onEvent),
    undrain: (node: string) => this.request<NodeView>('DELETE', `/v1/nodes/${enc(node)}/drain`),
  };

  /** Tokens with scopes (admin, viewer, deployer for apps); node tokens are issued per node and listed here too. */
  readonly tokens = {
    create: (body: Omit<TokenCreate, 'apps'> & { apps?: string[] }) => this.request<IssuedToken>('POST', '/v1/tokens', body),
    list: () => this.request<TokenView[]>('GET', '/v1/tokens'),
    remove: (name: string) => this.request<TokenView>('DELETE', `/v1/tokens/${enc(name)}`),
  };

  /** Every record of the store at one revision, for `eru core --restore` (admin). */
  snapshot(): Promise<Snapshot> {
    return this.request<Snapshot>('GET', '/v1/store/snapshot');
  }

  /** The live cores sharing the store (each with the URL it advertises). */
  cores(): Promise<CoreView[]> {
    return this.request<CoreView[]>('GET', '/v1/cores');
  }

  /**
   * Learns the cores this client was not given: each live core's advertised URL is added to the ones
   * it may move on to. Returns every URL it now knows.
   */
  async discover(): Promise<readonly string[]> {
    return this.learn((await this.cores()).flatMap((core) => (core.url ? [core.url] : [])));
  }

  /** Adds cores to move on to (an agent learns them from its heartbeat's answer); returns every URL known. */
  learn(urls: readonly string[]): readonly string[] {
    for (const given of urls) {
      const url = given.replace(/\/+$/, '');
      if (url && !this.urls.includes(url)) this.urls.push(url);
    }
    return this.urls;
  }

  /** The store against what each node's Docker runs (admin); with `repair`, each finding fixed where it is safe. */
  check(body: CheckBody = {}): Promise<CheckReport> {
    return this.request<CheckReport>('POST', '/v1/check', body);
  }

  /** The audit, newest first (admin). */
  readonly audit = {
    list: (filter: Partial<AuditQuery> = {}) => this.request<AuditEntry[]>('GET', `/v1/audit${query(filter)}`),
  };

  readonly workloads = {
    /** Every workload the filter matches, page after page (a million workloads are read a page at a time, never in one reply). */
    list: (filter: Partial<WorkloadFilter> = {}) => this.all(this.pages<WorkloadListItem>('/v1/workloads', filter)),
    /** The same, a page at a time, as they arrive (`eru ps` prints each before it asks for the next). */
    pages: (filter: Partial<WorkloadFilter> = {}) => this.pages<WorkloadListItem>('/v1/workloads', filter),
    inspect: (ref: string) => this.request<WorkloadInspect>('GET', `/v1/workloads/${enc(ref)}`),
    resize: (ref: string, body: ResizeBody) => this.request<Workload>('POST', `/v1/workloads/${enc(ref)}/resize`, body),
    remove: (ref: string, options: { drain?: number } = {}) => this.request<Workload>('DELETE', `/v1/workloads/${enc(ref)}${query(options)}`),
    control: (ref: string, action: ControlAction, timeout?: number) => this.request<Workload>('POST', `/v1/workloads/${enc(ref)}/${action}${query({ timeout })}`),
    logs: (ref: string, options: { follow?: boolean; tail?: number; signal?: AbortSignal } = {}) =>
      this.stream<OutputLine>('GET', `/v1/workloads/${enc(ref)}/logs${query({ follow: options.follow ?? false, tail: options.tail })}`, undefined, undefined, options.signal),
    intents: () => this.request<Intent[]>('GET', '/v1/intents'),
    connect: (ref: string, body: ConnectBody) => this.request<Workload>('POST', `/v1/workloads/${enc(ref)}/networks`, body),
    disconnect: (ref: string, network: string) => this.request<Workload>('DELETE', `/v1/workloads/${enc(ref)}/networks/${enc(network)}`),
    /** A command made ready to run in the container: attach to it with eru-client/node's attachExec. */
    exec: (ref: string, body: Partial<ExecBody> & Pick<ExecBody, 'cmd'>) => this.request<ExecView>('POST', `/v1/workloads/${enc(ref)}/exec`, body),
    /** What is at `path` in the container (exists, directory, size, owner), before a copy in. */
    stat: (ref: string, path: string) => this.request<ArchiveStat>('GET', `/v1/workloads/${enc(ref)}/archive/stat${query({ path })}`),
  };

  /** An exec made by workloads.exec: whether it still runs and how it ended; its TTY's size. */
  readonly execs = {
    state: (view: Pick<ExecView, 'node' | 'exec'>) => this.request<ExecState>('GET', `/v1/nodes/${enc(view.node)}/exec/${enc(view.exec)}`),
    resize: (view: Pick<ExecView, 'node' | 'exec'>, size: ResizeTty) => this.request<unknown>('POST', `/v1/nodes/${enc(view.node)}/exec/${enc(view.exec)}/resize`, size),
  };

  readonly services = {
    /** Every service, a page at a time. */
    list: () => this.all(this.pages<ServiceView>('/v1/services', {})),
    /** Scale a service to `count`; progress to `onEvent`, the result returned (a failure in it, not thrown). */
    scale: (app: string, entry: string, body: { count: number; pod?: string; drain?: number }, onEvent?: (event: DeployEvent) => void) =>
      this.follow<DeployEvent>('PUT', `/v1/apps/${enc(app)}/entries/${enc(entry)}/scale`, body, onEvent),
    /**
     * A rolling replace to another version (or image). A stream cut once the rollout is under way (its
     * core died) is not the end: the rollout is followed by its number on another core to its outcome.
     */
    replace: async (app: string, entry: string, body: Partial<ReplaceBody> & ({ version: string } | { image: string }), onEvent: (event: DeployEvent) => void = () => undefined): Promise<ResultOf<DeployEvent>> => {
      let rollout: Extract<DeployEvent, { type: 'rollout' }> | undefined;
      try {
        return await this.follow<DeployEvent>('POST', `/v1/apps/${enc(app)}/entries/${enc(entry)}/replace`, body, (event) => {
          if (event.type === 'rollout') rollout = event;
          onEvent(event);
        });
      } catch (error) {
        if (!rollout || (error instanceof EruError && error.code !== ErrorCode.UNAVAILABLE)) throw error;
        onEvent({ type: 'note', message: `the stream of rollout ${rollout.number} was cut (${(error as Error).message}); following it on ${this.urls.length > 1 ? 'another core' : 'its core'}` });
        return this.services.followRollout(app, entry, rollout, onEvent);
      }
    },
    /** A rollout followed by its record until it ends (the core doing it may die: another rolls it back and says so). */
    followRollout: async (app: string, entry: string, rollout: { number: number; pod: string }, onEvent: (event: DeployEvent) => void = () => undefined, giveUpMs = 600_000): Promise<ResultOf<DeployEvent>> => {
      for (const started = Date.now(); Date.now() - started < giveUpMs; await new Promise((resolve) => setTimeout(resolve, 1000))) {
        const record = (await this.services.rollouts(app, entry, rollout.pod).catch(() => [])).find((r) => r.number === rollout.number);
        if (!record || record.outcome === 'running') continue;
        const result: ResultOf<DeployEvent> =
          record.outcome === 'done'
            ? { type: 'result', ok: true, workloads: await this.workloads.list({ app, entry, pod: rollout.pod }) }
            : { type: 'result', ok: false, error: { code: ErrorCode.DEPLOY_FAILED, message: `rollout ${rollout.number} of ${app}/${entry} ${record.outcome}${record.message ? `: ${record.message}` : ''}` } };
        onEvent(result);
        return result;
      }
      throw new EruError(ErrorCode.UNAVAILABLE, `rollout ${rollout.number} of ${app}/${entry} has not ended after ${Math.round(giveUpMs / 1000)} s`);
    },
    /** Every instance resized in place. */
    resize: (app: string, entry: string, body: { pod?: string; cpu?: number; memory?: number | string }) => this.request<Workload[]>('POST', `/v1/apps/${enc(app)}/entries/${enc(entry)}/resize`, body),
    /**
     * A replace with a canary an operator promotes (`eru replace --canary N`): resolves with the `canary`
     * event once the canary waits (the replace goes on in the core, until `steer(…, 'promote' | 'abort')`),
     * or with the result if the replace ends before.
     */
    canary: async (app: string, entry: string, body: Partial<ReplaceBody> & ({ version: string } | { image: string }) & { canary: number }, onEvent: (event: DeployEvent) => void = () => undefined) => {
      for await (const event of this.stream<DeployEvent>('POST', `/v1/apps/${enc(app)}/entries/${enc(entry)}/replace`, body)) {
        onEvent(event);
        if ((event.type === 'canary' && event.phase === 'waiting') || event.type === 'result') return event as Extract<DeployEvent, { type: 'canary' | 'result' }>;
      }
      throw new EruError(ErrorCode.UNAVAILABLE, 'the core closed the stream before the canary was ready');
    },
    /** Steer the rollout under way: pause, resume, promote (a waiting canary), abort (rolled back). */
    steer: (app: string, entry: string, action: 'pause' | 'resume' | 'promote' | 'abort', pod?: string) =>
      this.request<Rollout>('POST', `/v1/apps/${enc(app)}/entries/${enc(entry)}/rollouts/${action}`, pod ? { pod } : {}),
    /** A service's rollouts, numbered, oldest first. */
    rollouts: (app: string, entry: string, pod?: string) => this.request<Rollout[]>('GET', `/v1/apps/${enc(app)}/entries/${enc(entry)}/rollouts${pod ? `?pod=${enc(pod)}` : ''}`),
    /** Back to what ran before the last rollout that ended done (or to what rollout `to` moved it to). */
    undo: (app: string, entry: string, body: { pod?: string; to?: number } = {}, onEvent?: (event: DeployEvent) => void) =>
      this.follow<DeployEvent>('POST', `/v1/apps/${enc(app)}/entries/${enc(entry)}/rollouts/undo`, body, onEvent),
    /** Converge to a desired state once (`eru apply`); with dryRun only the plan. */
    apply: (body: { services: Array<Record<string, unknown>>; dryRun?: boolean }, onEvent?: (event: ApplyEvent) => void) => this.follow<ApplyEvent>('PUT', '/v1/services', body, onEvent),
  };

  readonly networks = {
    list: () => this.request<NetworkView[]>('GET', '/v1/networks'),
    get: (name: string) => this.request<NetworkView>('GET', `/v1/networks/${enc(name)}`),
    add: (body: NetworkCreate) => this.request<NetworkView>('POST', '/v1/networks', body),
    remove: (name: string) => this.request<NetworkView>('DELETE', `/v1/networks/${enc(name)}`),
  };

  /**
   * Deploys and follows the progress to the result (ok, or the failure after the rollback). A stream
   * cut once the deploy is under way (its core died) is not the end: the deploy is followed by its
   * intent on another core (followDeploy), which reports how it went on and ended.
   */
  async deploy(body: Partial<DeployBody> & Pick<DeployBody, 'pod' | 'app'> & { count: number }, onEvent: (event: DeployEvent) => void = () => undefined): Promise<ResultOf<DeployEvent>> {
    let planned: PlannedEvent | undefined;
    try {
      return await this.follow<DeployEvent>('POST', '/v1/workloads', body, (event) => {
        if (event.type === 'planned') planned = event;
        onEvent(event);
      });
    } catch (error) {
      if (planned?.intent === undefined || planned.revision === undefined || (error instanceof EruError && error.code !== ErrorCode.UNAVAILABLE)) throw error;
      onEvent({ type: 'note', message: `the stream of deploy ${planned.intent} was cut (${(error as Error).message}); following it on ${this.urls.length > 1 ? 'another core' : 'its core'}` });
      return this.followDeploy(body.app, planned, onEvent);
    }
  }

  /**
   * A deploy under way, followed by its intent through the event log from the revision that reserved
   * it: its progress as it comes, then its result — done, failed and rolled back, or rolled back by
   * another core when its own died. A core that died after recording the deploy but before saying
   * so leaves no result event: then the intent is gone and the store's workloads tell.
   */
  async followDeploy(app: string, planned: PlannedEvent, onEvent: (event: DeployEvent) => void = () => undefined): Promise<ResultOf<DeployEvent>> {
    const intent = planned.intent!;
    const plannedIds = new Set(planned.workloads.map((w) => w.id));
    const controller = new AbortController();
    const recorded = async (): Promise<ResultOf<DeployEvent> | undefined> => {
      if ((await this.workloads.intents()).some((i) => i.id === intent)) return undefined;
      const present = (await this.workloads.list({ app })).filter((w) => plannedIds.has(w.id));
      if (present.length === plannedIds.size) return { type: 'result', ok: true, workloads: present };
      return { type: 'result', ok: false, error: { code: ErrorCode.DEPLOY_FAILED, message: `deploy ${intent} ended without a result and ${present.length} of its ${plannedIds.size} instance(s) are recorded` } };
    };
    // The intent looked at now and then, in case no result ever comes; the first answer wins.
    let fromStore: ResultOf<DeployEvent> | undefined;
    const timer = setInterval(() => {
      void recorded()
        .then((result) => {
          if (!result) return;
          fromStore = result;
          controller.abort();
        })
        .catch(() => undefined);
    }, 3000);
    try {
      for await (const event of this.events({ app, since: String(planned.revision) }, undefined, controller.signal)) {
        const data = event.data as { deploy?: string; ok?: boolean; workloads?: string[]; error?: ErrorBody } & Record<string, unknown>;
        if (data.deploy !== intent) continue;
        if (event.type === 'deploy.progress') {
          const { deploy: _intent, ...progress } = data;
          onEvent(progress as DeployEvent);
        } else if (event.type === 'deploy.result') {
          const result: ResultOf<DeployEvent> = data.ok
            ? { type: 'result', ok: true, workloads: (await this.workloads.list({ app })).filter((w) => plannedIds.has(w.id)) }
            : { type: 'result', ok: false, error: data.error ?? { code: ErrorCode.DEPLOY_FAILED, message: `deploy ${intent} failed` } };
          onEvent(result);
          return result;
        }
      }
    } finally {
      clearInterval(timer);
      controller.abort();
    }
    if (!fromStore) throw new EruError(ErrorCode.UNAVAILABLE, `lost deploy ${intent}: no core answered`);
    onEvent(fromStore);
    return fromStore;
  }

  /** Runs a job; its output comes through `onEvent` as `output` events, its exit code in the result. */
  runJob(body: Partial<JobBody> & Pick<JobBody, 'pod' | 'app' | 'image'>, onEvent?: (event: DeployEvent) => void): Promise<ResultOf<DeployEvent>> {
    return this.follow<DeployEvent>('POST', '/v1/jobs', body, onEvent);
  }

  readonly apps = {
    list: () => this.request<AppListItem[]>('GET', '/v1/apps'),
    get: (app: string) => this.request<App>('GET', `/v1/apps/${enc(app)}`),
    versions: (app: string) => this.request<AppVersionView[]>('GET', `/v1/apps/${enc(app)}/versions`),
    activities: (app: string) => this.request<Activity[]>('GET', `/v1/apps/${enc(app)}/activities`),
    volumes: (app: string) => this.request<VolumeView[]>('GET', `/v1/apps/${enc(app)}/volumes`),
    removeVolume: (app: string, name: string) => this.request<VolumeRemoval>('DELETE', `/v1/apps/${enc(app)}/volumes/${enc(name)}`),
    register: (body: RegisterBody) => this.request<AppVersion>('POST', '/v1/apps/versions', body),
    setEnv: (app: string, env: string, vars: Record<string, string>) => this.request<AppEnv>('PUT', `/v1/apps/${enc(app)}/env/${enc(env)}`, { vars }),
    env: (app: string, env: string) => this.request<AppEnv>('GET', `/v1/apps/${enc(app)}/env/${enc(env)}`),
    endpoints: (app: string, filter: { entry?: string; pod?: string; healthy?: boolean } = {}) => this.request<Endpoint[]>('GET', `/v1/apps/${enc(app)}/endpoints${query(filter)}`),
    build: (app: string, body: { version: string; pod: string }, onEvent?: (event: BuildEvent) => void) =>
      this.follow<BuildEvent>('POST', `/v1/apps/${enc(app)}/builds`, body, onEvent),
    /** The app's pipeline: the branch its webhook follows, where pushes are built, tested and released, the webhook's URL and secret. */
    pipeline: (app: string) => this.request<PipelineView>('GET', `/v1/apps/${enc(app)}/pipeline`),
    setPipeline: (app: string, body: PipelineBody) => this.request<PipelineView>('PUT', `/v1/apps/${enc(app)}/pipeline`, body),
  };

  readonly images = {
    base: (body: BaseImageBody, onEvent?: (event: BaseImageEvent) => void) => this.follow<BaseImageEvent>('POST', '/v1/images/base', body, onEvent),
    cache: (body: ImageCacheBody, onEvent?: (event: ImageCacheEvent) => void) => this.follow<ImageCacheEvent>('POST', '/v1/images/cache', body, onEvent),
  };

  /**
   * Every change as it happens (`eru watch`), from `filter.since` when given: iterate, and break (or
   * abort `signal`) to stop. With `live: 'false'` only what happened after `since` up to now, then the end. A stream that is cut (its core died, or it fell too far behind) is taken
   * up again, on another core when that one is gone, from just after the last event seen: each event
   * comes once and none is missed. `onOpen` is told each time a stream opens, `onCut` each time one
   * is cut. Throws when a core refuses the watch (a bad filter, a position no longer kept:
   * EVENTS_PRUNED) or when no core has answered for `giveUpMs` (a minute).
   */
  async *events(filter: EventFilter = {}, onOpen?: () => void, signal?: AbortSignal, { onCut, giveUpMs = 60_000 }: { onCut?: () => void; giveUpMs?: number } = {}): AsyncGenerator<EruEvent> {
    let since = filter.since;
    const catchUp = filter.live === 'false' || filter.live === '0';
    let unanswered: number | undefined;
    let quickEnds = 0;
    while (!signal?.aborted) {
      let response: TransportResponse | undefined;
      try {
        response = await this.send('GET', `/v1/events${query({ ...filter, since })}`, undefined, this.token, signal);
        if (response.status === 503) await readText(response.body).catch(() => '');
        else if (response.status >= 400) throw apiError(response.status, parseError(await readText(response.body)));
      } catch (error) {
        if (signal?.aborted) return;
        if (!(error instanceof EruError && error.code === ErrorCode.UNAVAILABLE)) throw error;
        response = undefined;
      }
      if (response === undefined || response.status === 503) {
        unanswered ??= Date.now();
        if (Date.now() - unanswered > giveUpMs) throw new EruError(ErrorCode.UNAVAILABLE, `no core has answered a watch for ${Math.round(giveUpMs / 1000)} s (tried ${this.urls.join(', ')})`);
        await new Promise((resolve) => setTimeout(resolve, 500));
        continue;
      }
      unanswered = undefined;
      // The core says where it starts; a stream cut before its first event goes on from there.
      since = response.header?.(EVENTS_FROM_HEADER) ?? since;
      onOpen?.();
      let delivered = 0;
      let ended = true;
      try {
        for await (const event of ndjson<EruEvent>(response.body)) {
          if (event.revision !== undefined) since = `${event.revision}.${event.index ?? 0}`;
          delivered++;
          yield event;
        }
      } catch {
        // Cut: taken up again below, from the last event seen.
        if (catchUp) ended = false;
      }
      if (signal?.aborted) return;
      // A catch-up (live=false) that reached its end is done; one that was cut goes on from its last event.
      if (catchUp && ended) return;
      onCut?.();
      // A stream that ends at once, again and again, is not called back in a tight loop.
      quickEnds = delivered > 0 ? 0 : quickEnds + 1;
      if (quickEnds > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(250 * 2 ** quickEnds, 5000)));
    }
  }

  /** What an agent sends, with its node token. */
  readonly agent = {
    // Both say how things are, not what to do: sent twice they mean the same, so they may go to another core.
    heartbeat: (node: string, body: Heartbeat) => this.request<HeartbeatAnswer>('POST', `/v1/nodes/${enc(node)}/heartbeat`, body, { repeatable: true }),
    report: (node: string, body: StatusReport) => this.request<StatusAnswer>('POST', `/v1/nodes/${enc(node)}/status`, body, { repeatable: true }),
  };
}

const enc = encodeURIComponent;

/** Connection failures before a request reached any core: every call may go to the next one. */
const NEVER_ARRIVED = /^(ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN|ETIMEDOUT|UND_ERR_CONNECT_TIMEOUT)$/;
/** A connection cut after the request may have arrived: only calls that may be repeated move on. */
const CUT = /^(ECONNRESET|EPIPE|UND_ERR_SOCKET|UND_ERR_CLOSED|other side closed)$/;
/** Calls that mean the same done twice. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE']);

function query(values: Query): string {
  const params = new URLSearchParams(Object.entries(values).filter((e): e is [string, string | number | boolean] => e[1] !== undefined).map(([k, v]) => [k, String(v)]));
  return params.size > 0 ? `?${params}` : '';
}

function parseError(text: string): ErrorBody | undefined {
  try {
    return JSON.parse(text) as ErrorBody;
  } catch {
    return undefined;
  }
}

function apiError(status: number, data: unknown): EruError {
  const body = (data ?? {}) as Partial<ErrorBody>;
  return new EruError(body.code ?? (status >= 500 ? ErrorCode.INTERNAL : ErrorCode.INVALID_ARGUMENT), body.message ?? `the core answered ${status}`, {
    details: body.details,
    ...(body.path ? { path: body.path.split('.') } : {}),
  });
}
