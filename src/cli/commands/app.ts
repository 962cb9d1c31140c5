import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Command } from 'commander';
import type { AppVersionView } from '../../contract/apps.js';
import { EruError, ErrorCode, invalid } from '../../lib/errors.js';
import { formatMemory } from '../../lib/units.js';
import { action, printJson, printTable } from '../output.js';
import { clientOf, globals, keyValue } from '../options.js';
import { registerPipeline } from './pipeline.js';

const run = promisify(execFile);

/** A version's tests in a few words: passed, failed (exit 1), none, … */
function testsColumn(version: AppVersionView): string {
  const test = version.test;
  if (version.testState === 'failed') return `failed${test?.exitCode !== undefined ? ` (exit ${test.exitCode})` : ''}${test?.reason ? `: ${test.reason}` : ''}`;
  if (version.testState === 'error') return `error: ${test?.reason ?? '?'}`;
  if (version.testState === 'passed' && test?.durationMs !== undefined) return `passed (${(test.durationMs / 1000).toFixed(1)} s)`;
  return version.testState;
}

/** Runs git in `dir` (argv, no shell); a clear error when it is not a checkout. */
async function git(dir: string, args: string[]): Promise<string> {
  try {
    return (await run('git', ['-C', dir, ...args], { maxBuffer: 1024 * 1024 })).stdout;
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim().split('\n')[0];
    throw new EruError(ErrorCode.INVALID_ARGUMENT, `git ${args[0]} in ${dir}: ${stderr || (error as Error).message}`);
  }
}

export function registerApp(program: Command): void {
  const app = program.command('app').description('apps: git repositories with an app.yaml');

  app
    .command('register')
    .description('register the app.yaml of HEAD of the git checkout here, with its commit sha and repository')
    .option('--dir <path>', 'the git checkout', '.')
    .action(
      action(async (options: { dir: string }, command: Command) => {
        const dir = resolve(options.dir);
        const sha = (await git(dir, ['rev-parse', 'HEAD'])).trim();
        const appYaml = await git(dir, ['show', 'HEAD:app.yaml']);
        const origin = await git(dir, ['remote', 'get-url', 'origin']).catch(() => '');
        const repo = origin.trim() || (await git(dir, ['rev-parse', '--show-toplevel'])).trim();
        const version = await clientOf(command).apps.register({ sha, repo, appYaml });
        if (globals(command).json) return printJson(version);
        console.log(`registered ${version.app}@${version.sha.slice(0, 7)} (entrypoints: ${version.entrypoints.join(', ')}) from ${version.repo}`);
      }),
    );

  app
    .command('volumes')
    .description("an app's shared volumes: quota, use, which workloads mount each, each node's state")
    .argument('<app>')
    .action(
      action(async (name: string, _options: unknown, command: Command) => {
        const volumes = await clientOf(command).apps.volumes(name);
        if (globals(command).json) return printJson(volumes);
        printTable([
          ['NAME', 'USED', 'QUOTA', 'USERS', 'NODES', 'STATE'],
          ...volumes.map((v) => [
            v.name,
            v.used !== undefined ? formatMemory(v.used) : '-',
            v.quota !== undefined ? formatMemory(v.quota) : v.size !== undefined ? formatMemory(v.size) : 'none',
            v.users.length,
            v.nodes.map((n) => `${n.node}${n.ready ? '' : n.error ? ` (${n.error})` : ' (not ready)'}`).join(', ') || '-',
            v.removing ? `removing since ${v.removing}` : 'ok',
          ]),
        ]);
      }),
    );

  app
    .command('volume')
    .description('manage one shared volume')
    .command('rm')
    .description("delete a shared volume's directory and data (refused while any workload uses it)")
    .argument('<app>')
    .argument('<name>')
    .option('--yes', 'yes, delete the data')
    .action(
      action(async (appName: string, name: string, options: { yes?: boolean }, command: Command) => {
        if (!options.yes) throw invalid(['yes'], `this deletes every file of volume ${name} of ${appName} on the shared file system: add --yes`);
        const removal = await clientOf(command).apps.removeVolume(appName, name);
        if (globals(command).json) return printJson(removal);
        console.log(removal.message);
        if (!removal.removed) process.exitCode = 1;
      }),
    );

  app
    .command('ls')
    .description('list apps')
    .action(
      action(async (_options: unknown, command: Command) => {
        const apps = await clientOf(command).apps.list();
        if (globals(command).json) return printJson(apps);
        printTable([['NAME', 'VERSIONS', 'REPOSITORY'], ...apps.map((a) => [a.name, a.versions, a.repo])]);
      }),
    );

  app
    .command('show')
    .description('show an app')
    .argument('<app>')
    .action(
      action(async (name: string, _options: unknown, command: Command) => {
        const shown = await clientOf(command).apps.get(name);
        if (globals(command).json) return printJson(shown);
        printTable([['name', shown.name], ['repository', shown.repo], ['created', shown.createdAt]]);
      }),
    );

  app
    .command('versions')
    .description("an app's registered versions")
    .argument('<app>')
    .action(
      action(async (name: string, _options: unknown, command: Command) => {
        const versions = await clientOf(command).apps.versions(name);
        if (globals(command).json) return printJson(versions);
        printTable([
          ['SHA', 'ENTRYPOINTS', 'IMAGE', 'TESTS', 'REGISTERED'],
          ...versions.map((v) => [`${v.sha.slice(0, 7)}${v.local ? ' (local)' : ''}`, v.entrypoints.join(','), v.image ?? '-', testsColumn(v), v.createdAt]),
        ]);
      }),
    );

  app
    .command('activities')
    .description("an app's recent builds, pushes, deploys, scales and replaces, newest first; --lines shows the last one's output")
    .argument('<app>')
    .option('--lines', "also print the newest activity's lines (its build output, tests and rollout)")
    .action(
      action(async (name: string, options: { lines?: boolean }, command: Command) => {
        const activities = await clientOf(command).apps.activities(name);
        if (globals(command).json) return printJson(activities);
        printTable([
          ['STARTED', 'KIND', 'VERSION', 'POD', 'OUTCOME', 'SUMMARY'],
          ...activities.map((a) => [a.startedAt, a.kind, a.version?.slice(0, 7) ?? '-', a.pod ?? '-', a.ok === undefined ? (a.endedAt ? '?' : 'running') : a.ok ? 'ok' : 'failed', a.summary.split('\n')[0] ?? '']),
        ]);
        if (options.lines && activities[0]) for (const line of activities[0].lines) console.log(line);
      }),
    );

  registerPipeline(app);

  const env = app.command('env').description('env vars per environment, kept apart from app.yaml');
  env
    .command('set')
    .description('set env vars of one environment')
    .argument('<app>')
    .argument('<env>')
    .argument('<vars...>', 'K=V ...')
    .action(
      action(async (name: string, environment: string, pairs: string[], _options: unknown, command: Command) => {
        const vars = pairs.reduce<Record<string, string>>((all, pair) => keyValue('vars')(pair, all), {});
        const set = await clientOf(command).apps.setEnv(name, environment, vars);
        if (globals(command).json) return printJson(set);
        console.log(`${name} ${environment}: ${Object.keys(set.vars).length} variable(s)`);
      }),
    );
  env
    .command('show')
    .description('env vars of one environment')
    .argument('<app>')
    .argument('<env>')
    .action(
      action(async (name: string, environment: string, _options: unknown, command: Command) => {
        const shown = await clientOf(command).apps.env(name, environment);
        if (globals(command).json) return printJson(shown);
        printTable([['NAME', 'VALUE'], ...Object.entries(shown.vars).map(([k, v]) => [k, v])]);
      }),
    );
}
