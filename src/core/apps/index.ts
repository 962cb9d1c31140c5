import { event, type Publish } from '../../bus/index.js';
import { parseAppYaml } from '../../build/appyaml.js';
import type { AppListItem, AppVersionView, RegisterBody } from '../../contract/apps.js';
import { testState } from './versions.js';
import { conflict, notFound } from '../../lib/errors.js';
import type { Activity } from '../../model/activity.js';
import type { App, AppEnv, AppVersion } from '../../model/app.js';
import type { CoreContext } from '../context.js';
import { absent, put, unchanged, type Repositories } from '../repositories.js';
import { optimistic } from '../retry.js';
import { checkAppBinds } from './binds.js';

/** Apps: versions registered from git (app.yaml at a sha), and env vars per environment. */
export class AppService {
  private readonly repos: Repositories;
  private readonly publish: Publish;
  /** Where an app.yaml's binds may point on hosts (binds.ts). */
  private readonly bindRoots: readonly string[];

  constructor(
    context: CoreContext,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.repos = context.repos;
    this.publish = context.publish;
    this.bindRoots = context.bindRoots;
  }

  /** Which app an app.yaml is of (a bad app.yaml is a 400 naming the field). */
  nameOf(appYaml: string): string {
    return parseAppYaml(appYaml).appname;
  }

  /** An app's recent builds, deploys, scales and replaces, newest first (activities.ts). */
  async activities(app: string): Promise<Activity[]> {
    return (await this.repos.activities.list(app)).map((a) => a.value).reverse();
  }

  /**
   * Registers the app.yaml of one commit; the app is created on its first version. Idempotent per sha.
   * `local`: a working tree sent by `eru build --dir` — marked so, and the app keeps its repository.
   */
  async register(input: RegisterBody, { local = false }: { local?: boolean } = {}): Promise<AppVersion> {
    const parsed = parseAppYaml(input.appYaml);
    checkAppBinds(parsed, this.bindRoots);
    const name = parsed.appname;
    const createdAt = this.now().toISOString();
    const version: AppVersion = { app: name, sha: input.sha, repo: input.repo, appYaml: input.appYaml, entrypoints: Object.keys(parsed.entrypoints), ...(local ? { local: true } : {}), createdAt };
    return optimistic(`registering ${name}@${input.sha.slice(0, 7)}`, async () => {
      const existing = await this.repos.versions.get(name, input.sha);
      if (existing) {
        if (existing.value.appYaml !== input.appYaml) throw conflict(`${name}@${input.sha.slice(0, 7)} is registered with another app.yaml`);
        return existing.value;
      }
      const app = await this.repos.apps.get(name);
      const appKey = this.repos.apps.key(name);
      const versionKey = this.repos.versions.key(name, input.sha);
      const next: App = { name, repo: local && app ? app.value.repo : input.repo, createdAt: app?.value.createdAt ?? createdAt };
      const done = await this.repos.commit(
        [app ? unchanged(appKey, app.revision) : absent(appKey), absent(versionKey)],
        [put(appKey, next), put(versionKey, version)],
      );
      if (!done) return undefined;
      this.publish(event('app.registered', { app: name, data: { sha: input.sha, entrypoints: version.entrypoints } }));
      return version;
    });
  }

  async list(): Promise<AppListItem[]> {
    return Promise.all((await this.repos.apps.list()).map(async ({ value }) => ({ ...value, versions: (await this.repos.versions.list(value.name)).length })));
  }

  async get(name: string): Promise<App> {
    const app = await this.repos.apps.get(name);
    if (!app) throw notFound('app', name);
    return app.value;
  }

  async versions(name: string): Promise<AppVersionView[]> {
    await this.get(name);
    const listed = await Promise.all(
      (await this.repos.versions.list(name)).map(async ({ value: version }) => {
        // A test whose core stopped while it ran never ends: it is shown as the error it is (a new build tests again).
        const orphaned = version.test?.state === 'running' && version.test.owner !== undefined && !(await this.repos.cores.alive(version.test.owner));
        const shown: AppVersion = orphaned ? { ...version, test: { ...version.test!, state: 'error', reason: 'its core stopped while it ran' } } : version;
        return { ...shown, testState: testState(shown) };
      }),
    );
    return listed.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  /** Sets env vars of one environment (merged; an empty value is kept as empty). */
  async setEnv(app: string, env: string, vars: Record<string, string>): Promise<AppEnv> {
    await this.get(app);
    return optimistic(`setting env ${env} of ${app}`, async () => {
      const current = await this.repos.appEnvs.get(app, env);
      const key = this.repos.appEnvs.key(app, env);
      const next: AppEnv = { app, env, vars: { ...current?.value.vars, ...vars }, version: (current?.value.version ?? 0) + 1 };
      return (await this.repos.commit([current ? unchanged(key, current.revision) : absent(key)], [put(key, next)])) ? next : undefined;
    });
  }

  async env(app: string, env: string): Promise<AppEnv> {
    await this.get(app);
    return (await this.repos.appEnvs.get(app, env))?.value ?? { app, env, vars: {}, version: 0 };
  }
}
