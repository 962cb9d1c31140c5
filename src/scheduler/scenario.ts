import { z } from 'zod';
import { invalid } from '../lib/errors.js';
import { MemorySizeSchema, parseWith } from '../lib/validate.js';
import type { PlanInput } from './plan.js';
import { CoreIdSchema, SharebaseSchema, StrategySchema } from '../model/resources.js';
import type { CandidateNode } from './types.js';

/**
 * The offline planner's scenario: pod settings, nodes with what is free on them, and one deploy.
 * `eru plan` reads it from a file; the core builds the same PlanInput from the store.
 */
const PortNameSchema = z.string().regex(/^\d{1,5}\/(tcp|udp)$/, 'a host port is PORT/tcp or PORT/udp');

const ScenarioNodeSchema = z
  .object({
    name: z.string().min(1),
    cpu: z.number().int().min(0).optional(),
    cpus: z.record(CoreIdSchema, z.number().int().min(0)).optional(),
    /** Cores already shared by fragments. A partly free core is shared anyway; list a core that fragments filled up (0 free). */
    shared: z.array(z.union([CoreIdSchema, z.number().int().min(0)]).transform(String)).default([]),
    memory: MemorySizeSchema.optional(),
    numa: z.record(z.string(), z.array(z.union([z.string(), z.number().int().min(0)]).transform(String))).optional(),
    numa_memory: z.record(z.string(), MemorySizeSchema).optional(),
    labels: z.record(z.string(), z.string()).default({}),
    bypass: z.boolean().default(false),
    count: z.number().int().min(0).default(0),
    /** Host ports already held on the node: `8080/tcp` → who holds it. */
    ports: z.record(PortNameSchema, z.string()).default({}),
  })
  .strict();

export const ScenarioSchema = z
  .object({
    pod: z.string().min(1).default('scenario'),
    sharebase: SharebaseSchema.default(100),
    maxshare: z.number().int().min(-1).default(-1),
    nodes: z.array(ScenarioNodeSchema).min(1, 'a scenario needs at least one node'),
    deploy: z
      .object({
        cpu: z.number().min(0).default(0),
        memory: MemorySizeSchema.default(0),
        bind: z.boolean().default(true),
        count: z.number().int().min(0).default(0),
        strategy: z.string().default('AUTO').pipe(StrategySchema),
        limit: z.number().int().min(0).default(0),
        nodes: z.array(z.string()).default([]),
        labels: z.record(z.string(), z.string()).default({}),
        /** Host ports each instance publishes, `8080/tcp`. */
        ports: z.array(PortNameSchema).default([]),
      })
      .strict(),
  })
  .strict();

export function scenarioToPlanInput(data: unknown): PlanInput {
  const scenario = parseWith(ScenarioSchema, data);
  const { sharebase } = scenario;
  const seen = new Set<string>();
  const nodes = scenario.nodes.map((node, i): CandidateNode => {
    const path = ['nodes', i];
    if (seen.has(node.name)) throw invalid([...path, 'name'], `node name "${node.name}" appears twice`);
    seen.add(node.name);
    if ((node.cpu === undefined) === (node.cpus === undefined)) {
      throw invalid(path, 'give either cpu (a number of cores) or cpus (free pieces per core)');
    }
    const cpus = node.cpus ?? Object.fromEntries(Array.from({ length: node.cpu ?? 0 }, (_, c) => [String(c), sharebase]));
    const shared: Record<string, number> = {};
    for (const [core, pieces] of Object.entries(cpus)) {
      if (pieces > sharebase) throw invalid([...path, 'cpus', core], `${pieces} pieces free, but a core has ${sharebase}`);
      // Pieces are only ever taken from a core whole (exclusive) or as fragments: partly free means shared.
      if (pieces > 0 && pieces < sharebase) shared[core] = 1;
    }
    node.shared.forEach((core, j) => {
      if (!(core in cpus)) throw invalid([...path, 'shared', j], `core ${core} is not one of the node's cores`);
      if (cpus[core] === sharebase) throw invalid([...path, 'shared', j], `core ${core} is wholly free, so no fragment is on it`);
      shared[core] = 1;
    });
    for (const [numa, cores] of Object.entries(node.numa ?? {})) {
      cores.forEach((core, j) => {
        if (!(core in cpus)) throw invalid([...path, 'numa', numa, j], `core ${core} is not one of the node's cores`);
      });
    }
    for (const numa of Object.keys(node.numa_memory ?? {})) {
      if (!node.numa || !(numa in node.numa)) throw invalid([...path, 'numa_memory', numa], `NUMA node ${numa} is not in numa`);
    }
    return {
      name: node.name,
      cpus,
      shared,
      unboundPieces: 0,
      memory: node.memory ?? null,
      memoryTotal: node.memory ?? null,
      ...(node.numa ? { numa: node.numa } : {}),
      ...(node.numa_memory ? { numaMemory: node.numa_memory } : {}),
      labels: node.labels,
      bypass: node.bypass,
      count: node.count,
      ...(Object.keys(node.ports).length > 0 ? { ports: node.ports } : {}),
    };
  });
  const { deploy } = scenario;
  return {
    pod: scenario.pod,
    policy: { sharebase, maxshare: scenario.maxshare },
    nodes,
    request: {
      cpu: deploy.cpu,
      memory: deploy.memory,
      bind: deploy.bind,
      count: deploy.count,
      strategy: deploy.strategy,
      limit: deploy.limit,
      filter: { names: deploy.nodes, labels: deploy.labels },
      ...(deploy.ports.length > 0 ? { ports: deploy.ports } : {}),
    },
    requestPath: ['deploy'],
  };
}
