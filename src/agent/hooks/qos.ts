import { LABEL } from '../../engine/spec.js';
import { shapeContainer } from '../qos.js';
import type { AgentState } from '../state.js';
import type { AgentHook, ContainerEvent } from './types.js';

/** QoS by address: egress shaping of a container's macvlan interfaces when it starts or joins a network (qos.ts). */
export class QosHook implements AgentHook {
  readonly name = 'qos';
  private state!: AgentState;
  /** Network id → driver, to find a container's macvlan interfaces. */
  private readonly drivers = new Map<string, string>();

  async start(state: AgentState): Promise<void> {
    this.state = state;
    // Containers that started before this agent get their shaping now.
    for (const info of await state.listMine()) if (info.State === 'running' && info.Labels[LABEL.rate]) await this.shape(info.Id);
  }

  async onEvent(event: ContainerEvent): Promise<void> {
    if (event.action === 'start' || event.action === 'connect') await this.shape(event.id);
  }

  /** Applies the container's rate to its macvlan interfaces (when it asks for one) and remembers what was applied. */
  private async shape(containerId: string): Promise<void> {
    const { state } = this;
    try {
      const info = await state.docker.getContainer(containerId).inspect();
      const id = info.Config.Labels?.[LABEL.workload];
      if (!id || !info.Config.Labels?.[LABEL.rate]) return;
      const applied = await shapeContainer(state.docker, containerId, this.drivers);
      if (applied) state.qos.set(id, applied);
      else state.qos.delete(id);
    } catch (error) {
      state.log(`cannot shape ${containerId}: ${(error as Error).message}`);
    }
  }
}
