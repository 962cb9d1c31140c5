import type Docker from 'dockerode';
import type { EruClient } from 'eru-client';
import { LABEL } from '../engine/spec.js';
import type { WorkloadStatus } from '../model/status.js';

/**
 * What the agent's hooks share (hooks/): the node's Docker daemon and the core's client, and what is
 * known of the node's containers. Each map has one writer: `reported` and `running` the status hook,
 * `guardReasons` the OOM guard, `qos` the QoS hook; the others read them.
 */
export class AgentState {
  /** What the core last accepted, per workload. */
  readonly reported = new Map<string, WorkloadStatus>();
  /** Running workloads → their container's full id (the heartbeat's use figures read their cgroups). */
  readonly running = new Map<string, string>();
  /** Why the OOM guard stopped a workload; kept until it runs again, so its status says why. */
  readonly guardReasons = new Map<string, string>();
  /** Egress shaping applied per workload, reported with its status. */
  readonly qos = new Map<string, string>();
  /** Eru containers seen at the last full check. */
  containers = 0;

  constructor(
    readonly node: string,
    readonly docker: Docker,
    readonly client: EruClient,
    readonly log: (message: string) => void,
    /** Sends a heartbeat now, repeating the last measured figures (a report the core waits for changed). */
    readonly heartbeatNow: () => Promise<void>,
  ) {}

  /** Eru's containers on this node, running or not. */
  listMine(): Promise<Docker.ContainerInfo[]> {
    return this.docker.listContainers({ all: true, filters: { label: [`${LABEL.managed}=true`, `${LABEL.node}=${this.node}`] } });
  }
}
