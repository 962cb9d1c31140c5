import { Agent, type AgentOptions } from '../../agent/agent.js';

/** `eru agent`, loaded on demand: runs until SIGTERM or SIGINT. */
export async function runAgent(options: AgentOptions): Promise<void> {
  const agent = new Agent(options);
  await agent.start();
  process.stderr.write(`eru agent for node ${options.node} reporting to ${options.core}\n`);
  const stop = (): void => {
    agent.stop();
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
