import type { AgentState } from '../state.js';
import type { AgentHook } from './types.js';

/** How long the node's Docker may take to answer a ping before the node is said to have lost it. */
const PING_TIMEOUT_MS = 2000;

/**
 * Whether the node's Docker answers, in every heartbeat: a node whose agent is alive but whose daemon
 * is not takes nothing new (the scheduler leaves it out) until it answers again. Without this the node
 * looked fine and every deploy placed there waited on a dead socket while holding its cores.
 */
export class EngineHook implements AgentHook {
  readonly name = 'engine';

  constructor(private readonly state: AgentState) {}

  async heartbeat(): Promise<{ engineError?: string }> {
    try {
      // A list (of at most one container) rather than /_ping: it needs the daemon's state, not just its socket.
      await this.state.docker.listContainers({ limit: 1, abortSignal: AbortSignal.timeout(PING_TIMEOUT_MS) });
      return {};
    } catch (error) {
      const reason = (error as Error).name === 'AbortError' || (error as Error).name === 'TimeoutError' ? `no answer within ${PING_TIMEOUT_MS} ms` : (error as Error).message;
      return { engineError: `Docker does not answer: ${reason}`.slice(0, 512) };
    }
  }
}
