import type { Heartbeat, HeartbeatAnswer } from '../../contract/agents.js';
import type { AgentState } from '../state.js';

/** A Docker event about one of Eru's containers on this node (or a network connect of one). */
export interface ContainerEvent {
  /** start, die, oom, health_status, restart, stop, pause, unpause, connect. */
  action: string;
  /** The container's id. */
  id: string;
  /** The event's attributes: the container's labels, and an exit code for `die`. */
  attributes: Record<string, string>;
}

/**
 * One concern of the agent (status reports, OOM guard, metrics, log shipping, QoS, shared volumes),
 * in the manner of Nomad's alloc runner hooks: the runner (agent.ts) calls each hook at the points it
 * has, in order, and a hook touches only what it owns and the shared state.
 */
export interface AgentHook {
  readonly name: string;
  /** Once the first heartbeat is answered and Docker's events are followed: look at what already runs, start timers. */
  start?(state: AgentState): Promise<void>;
  stop?(): void;
  /** A container event; hooks see it in the runner's order. */
  onEvent?(event: ContainerEvent): Promise<void>;
  /** What this hook adds to a heartbeat; `measure` is false for an extra heartbeat sent between two (repeat the last figures). */
  heartbeat?(measure: boolean): Partial<Heartbeat> | Promise<Partial<Heartbeat>>;
  /** The core's answer to a heartbeat. */
  onAnswer?(answer: HeartbeatAnswer): Promise<void> | void;
}
