import type { Command } from 'commander';
import { Agent } from '../../agent/agent.js';
import { invalid } from '../../lib/errors.js';
import { action } from '../output.js';
import { globals, wholeNumber } from '../options.js';

/** `eru agent`: one per Docker host, reporting for its node with a node token. */
export function registerAgent(program: Command): void {
  program
    .command('agent')
    .description("run the agent of one node: heartbeat, container status from Docker's events, periodic full checks")
    .requiredOption('--core <url>', 'the core to report to')
    .requiredOption('--node <name>', 'the node this agent speaks for')
    .option('--docker <url>', 'the local Docker daemon', 'unix:///var/run/docker.sock')
    .option('--heartbeat <ms>', 'heartbeat interval', wholeNumber('heartbeat'), 2000)
    .option('--check <ms>', 'full check interval', wholeNumber('check'), 10_000)
    .action(
      action(async (options: { core: string; node: string; docker: string; heartbeat: number; check: number }, command: Command) => {
        // --token is a global option: here it is the node token (eru node token NAME).
        const token = globals(command).token ?? process.env.ERU_TOKEN;
        if (!token) throw invalid(['token'], 'the agent needs its node token: --token or ERU_TOKEN (eru node token NAME issues one)');
        const agent = new Agent({
          core: options.core,
          token,
          node: options.node,
          docker: options.docker,
          heartbeatMs: options.heartbeat,
          checkMs: options.check,
          log: (message) => process.stderr.write(`${new Date().toISOString()} ${message}\n`),
        });
        await agent.start();
        process.stderr.write(`eru agent for node ${options.node} reporting to ${options.core}\n`);
        const stop = (): void => {
          agent.stop();
          process.exit(0);
        };
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
      }),
    );
}
