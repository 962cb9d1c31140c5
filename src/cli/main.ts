#!/usr/bin/env node
import { Command } from 'commander';
import { registerAgent } from './commands/agent.js';
import { registerApp } from './commands/app.js';
import { registerBuild } from './commands/build.js';
import { registerImage } from './commands/image.js';
import { registerCore } from './commands/core.js';
import { registerDeploy } from './commands/deploy.js';
import { registerRun } from './commands/run.js';
import { registerWatch } from './commands/watch.js';
import { registerWorkloads } from './commands/workload.js';
import { registerNetwork } from './commands/network.js';
import { registerNode } from './commands/node.js';
import { registerPlan } from './commands/plan.js';
import { registerApply } from './commands/apply.js';
import { registerCp } from './commands/cp.js';
import { registerExec } from './commands/exec.js';
import { registerPod } from './commands/pod.js';
import { registerRollout } from './commands/rollout.js';
import { registerService, registerServiceViews } from './commands/service.js';
import { registerToken } from './commands/token.js';
import { registerAudit } from './commands/audit.js';
import { registerCheck } from './commands/check.js';
import { registerStore } from './commands/store.js';
import { reportError } from './output.js';

// A reader that stops early (`eru plan … | head -2`) is no error: end quietly, as Unix tools do.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    process.exitCode = 1;
  });
}

/** The single `eru` executable: the servers (`eru core`, `eru agent`) and every client command. */
export function buildProgram(): Command {
  const program = new Command('eru')
    .description('Eru: precise container placement and scheduling on Docker')
    .option('--url <url[,url...]>', 'the core to talk to, or several (comma-separated: a call moves on when one cannot be had); or ERU_URL')
    .option('--token <token>', 'bearer token (or ERU_TOKEN)')
    .option('--ca <file>', "the CA certificate (PEM) an https:// core's certificate is signed by (or ERU_CA)")
    .option('--client-cert <file>', 'a client certificate (PEM) for a core that asks for one (or ERU_CLIENT_CERT)')
    .option('--client-key <file>', "the client certificate's key (or ERU_CLIENT_KEY)")
    .option('--json', 'print JSON for scripts instead of tables')
    .configureOutput({ outputError: (text, write) => write(`eru: ${text.replace(/^error: /, '')}`) })
    .exitOverride((error) => {
      // commander's own usage errors (unknown option, missing argument) are bad input: exit 1.
      process.exit(error.exitCode === 0 ? 0 : 1);
    });
  // `--version` belongs to `eru deploy APP --version SHA7`; the program's own version is a command.
  program
    .command('version')
    .description("print eru's version")
    .action(() => console.log('eru 0.1.0'));
  registerCore(program);
  registerAgent(program);
  registerApp(program);
  registerBuild(program);
  registerImage(program);
  registerPod(program);
  registerNode(program);
  registerDeploy(program);
  registerRun(program);
  registerWorkloads(program);
  registerWatch(program);
  registerNetwork(program);
  registerService(program);
  registerServiceViews(program);
  registerRollout(program);
  registerToken(program);
  registerAudit(program);
  registerCheck(program);
  registerStore(program);
  registerExec(program);
  registerCp(program);
  registerApply(program);
  registerPlan(program);
  return program;
}

try {
  await buildProgram().parseAsync(process.argv);
} catch (error) {
  // Errors thrown while reading options (e.g. a bad core list) get the same one-line report.
  process.exitCode = reportError(error);
}
