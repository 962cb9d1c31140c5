import { containerOutput } from '../../engine/output.js';
import { LABEL } from '../../engine/spec.js';
import { LogForwarder } from '../forwarder.js';
import type { AgentState } from '../state.js';
import type { AgentHook, ContainerEvent } from './types.js';

/** Log shipping: every Eru container's output, as JSON lines, to tcp:// or udp:// (forwarder.ts). */
export class LogShipping implements AgentHook {
  readonly name = 'logs';
  private state!: AgentState;
  private forwarder: LogForwarder | undefined;
  /** Containers whose output is being forwarded. */
  private readonly forwarding = new Set<string>();

  constructor(private readonly target: string) {}

  async start(state: AgentState): Promise<void> {
    this.state = state;
    this.forwarder = new LogForwarder(this.target);
    for (const info of await state.listMine()) if (info.State === 'running') this.forward(info.Id);
  }

  stop(): void {
    this.forwarder?.close();
  }

  async onEvent(event: ContainerEvent): Promise<void> {
    if (event.action === 'start') this.forward(event.id);
  }

  /** Follows one container's output and forwards each line. */
  private forward(containerId: string): void {
    if (!this.forwarder || this.forwarding.has(containerId)) return;
    this.forwarding.add(containerId);
    void (async () => {
      try {
        const container = this.state.docker.getContainer(containerId);
        const labels = (await container.inspect()).Config.Labels ?? {};
        for await (const { stream, line } of containerOutput(container, { follow: true, tail: 0 })) {
          await this.forwarder?.send({ app: labels[LABEL.app] ?? '', entry: labels[LABEL.entry] ?? '', workload: labels[LABEL.workload] ?? '', stream, time: new Date().toISOString(), line });
        }
      } catch (error) {
        this.state.log(`forwarding ${containerId}: ${(error as Error).message}`);
      } finally {
        this.forwarding.delete(containerId);
      }
    })();
  }
}
