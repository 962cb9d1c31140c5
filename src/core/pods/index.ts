import { event, type Publish } from '../../bus/index.js';
import { conflict, notFound } from '../../lib/errors.js';
import type { CoreContext } from '../context.js';
import { absent, del, put, unchanged, type Repositories } from '../repositories.js';
import type { PodCreate, PodPatch } from '../../contract/pods.js';
import type { Pod } from '../../model/pod.js';
import { optimistic } from '../retry.js';
import type { CapacityBody } from '../../contract/workloads.js';
import type { PodMap } from '../../contract/map.js';
import type { CapacityReport } from '../../scheduler/index.js';
import { podCapacity } from '../deploy/reserve.js';
import type { NodeService } from '../nodes/index.js';
import { podMap } from './map.js';

/** Pods: the groups of nodes with their CPU granularity; what each can still take, and its map of cores. */
export class PodService {
  private readonly repos: Repositories;
  private readonly publish: Publish;

  constructor(
    private readonly context: CoreContext,
    private readonly nodes: NodeService,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.repos = context.repos;
    this.publish = context.publish;
  }

  /** The capacity-only dry run: how many more of a request each node takes, and why no more. */
  capacity(pod: string, body: CapacityBody): Promise<CapacityReport> {
    return podCapacity(this.repos, pod, body);
  }

  /** The dashboard's map of a pod: cores, their holders, measured use (map.ts). */
  map(pod: string): Promise<PodMap> {
    return podMap(this.context, this.nodes, pod);
  }

  async create(input: PodCreate): Promise<Pod> {
    const pod: Pod = { ...input, nodeCount: 0, createdAt: this.now().toISOString() };
    const key = this.repos.pods.key(pod.name);
    if (!(await this.repos.commit([absent(key)], [put(key, pod)]))) throw conflict(`pod ${pod.name} already exists`);
    this.publish(event('pod.created', { pod: pod.name, data: { sharebase: pod.sharebase, maxshare: pod.maxshare } }));
    return pod;
  }

  list(): Promise<Pod[]> {
    return this.repos.pods.list().then((pods) => pods.map((p) => p.value));
  }

  async get(name: string): Promise<Pod> {
    const pod = await this.repos.pods.get(name);
    if (!pod) throw notFound('pod', name);
    return pod.value;
  }

  async update(name: string, patch: PodPatch): Promise<Pod> {
    const updated = await optimistic(`updating pod ${name}`, async () => {
      const pod = await this.repos.pods.get(name);
      if (!pod) throw notFound('pod', name);
      const { sharedRoot: _old, ...rest } = pod.value;
      const sharedRoot = patch.sharedRoot === undefined ? pod.value.sharedRoot : (patch.sharedRoot ?? undefined);
      const next: Pod = {
        ...rest,
        description: patch.description ?? pod.value.description,
        pidsLimit: patch.pidsLimit ?? pod.value.pidsLimit,
        defaultMemory: patch.defaultMemory ?? pod.value.defaultMemory,
        ...(sharedRoot ? { sharedRoot } : {}),
      };
      const key = this.repos.pods.key(name);
      return (await this.repos.commit([unchanged(key, pod.revision)], [put(key, next)])) ? next : undefined;
    });
    this.publish(event('pod.updated', { pod: name, data: { ...(updated.sharedRoot ? { sharedRoot: updated.sharedRoot } : {}) } }));
    return updated;
  }

  async remove(name: string): Promise<Pod> {
    const removed = await optimistic(`removing pod ${name}`, async () => {
      const pod = await this.repos.pods.get(name);
      if (!pod) throw notFound('pod', name);
      if (pod.value.nodeCount > 0) {
        const nodes = (await this.repos.nodes.list()).filter((n) => n.value.pod === name).map((n) => n.value.name);
        throw conflict(`pod ${name} still has ${pod.value.nodeCount} node(s): ${nodes.join(', ')}; remove them first`, { nodes });
      }
      const key = this.repos.pods.key(name);
      return (await this.repos.commit([unchanged(key, pod.revision)], [del(key)])) ? pod.value : undefined;
    });
    this.publish(event('pod.removed', { pod: name }));
    return removed;
  }
}
