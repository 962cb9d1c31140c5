import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { invalid } from '../../lib/errors.js';
import { parseMemory } from '../../lib/units.js';
import { action } from '../output.js';
import { globals, tlsOf, wholeNumber } from '../options.js';
import { resolveConfig } from '../config.js';

interface AgentCliOptions {
  tokenFile?: string;
  core: string;
  node: string;
  docker: string;
  heartbeat: number;
  check: number;
  metricsListen?: string;
  influx?: string;
  influxInterval: number;
  forwardLogs?: string;
  oomThreshold?: string;
}

function readToken(path: string): string {
  try {
    const token = readFileSync(path, 'utf8').trim();
    if (token) return token;
  } catch (error) {
    throw invalid(['token-file'], `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  throw invalid(['token-file'], `${path} is empty`);
}

/** `eru agent`: one per Docker host, reporting for its node with a node token. */
export function registerAgent(program: Command): void {
  program
    .command('agent')
    .description("run the agent of one node: heartbeat, container status from Docker's events, periodic full checks")
    .requiredOption('--core <url[,url...]>', 'the core to report to, or several (it learns the others from its heartbeats); https:// with a private CA: --ca FILE or ERU_CA')
    .requiredOption('--node <name>', 'the node this agent speaks for')
    .option('--token-file <path>', 'a file holding the node token (eru node token NAME issues one); or ERU_NODE_TOKEN — not --token, which `ps` shows')
    .option('--docker <url>', 'the local Docker daemon', 'unix:///var/run/docker.sock')
    .option('--heartbeat <ms>', 'heartbeat interval', wholeNumber('heartbeat'), 2000)
    .option('--check <ms>', 'full check interval', wholeNumber('check'), 10_000)
    .option('--metrics-listen <addr>', 'serve Prometheus metrics on HOST:PORT, e.g. 127.0.0.1:9101')
    .option('--influx <url>', 'push metrics as InfluxDB line protocol to this write URL, e.g. http://127.0.0.1:8086/write?db=eru')
    .option('--influx-interval <ms>', 'InfluxDB push interval', wholeNumber('influx-interval'), 10_000)
    .option('--forward-logs <target>', "forward every Eru container's output as JSON lines to tcp://HOST:PORT or udp://HOST:PORT")
    .option('--oom-threshold <size>', 'soft OOM guard: below this much available host memory, stop the container furthest over its declared memory')
    .action(
      action(async (options: AgentCliOptions, command: Command) => {
        // A file or the environment, so the token is not on a command line every user can read in `ps`;
        // --token (global) still works for a quick try.
        const token = options.tokenFile ? readToken(options.tokenFile) : (process.env.ERU_NODE_TOKEN ?? globals(command).token ?? process.env.ERU_TOKEN);
        if (!token) throw invalid(['token-file'], 'the agent needs its node token: --token-file FILE or ERU_NODE_TOKEN (eru node token NAME issues one)');
        const { ca, clientCert, clientKey } = globals(command);
        const tls = tlsOf(resolveConfig({ url: options.core, ...(ca ? { ca } : {}), ...(clientCert ? { cert: clientCert } : {}), ...(clientKey ? { key: clientKey } : {}) }));
        const { runAgent } = await import('../run/agent.js');
        await runAgent({
          core: options.core,
          token,
          tls,
          node: options.node,
          docker: options.docker,
          heartbeatMs: options.heartbeat,
          checkMs: options.check,
          metricsListen: options.metricsListen,
          influx: options.influx,
          influxIntervalMs: options.influxInterval,
          forwardLogs: options.forwardLogs,
          ...(options.oomThreshold ? { oomThreshold: parseMemory(options.oomThreshold, ['oom-threshold']) } : {}),
          log: (message) => process.stderr.write(`${new Date().toISOString()} ${message}\n`),
        });
      }),
    );
}
