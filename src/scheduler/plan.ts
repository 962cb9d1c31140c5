import { internal, type ErrorPath } from '../lib/errors.js';
import type { Placement } from '../model/resources.js';
import { NodeWorkspace } from './allocate.js';
import { feasibleNodes } from './feasibility.js';
import { nodeCapacity } from './fit.js';
import { describeRequest, SchedulingError, toPieces, validateDeploy, type PieceRequest } from './request.js';
import { STRATEGY_TABLE } from './strategies/index.js';
import type {
  CandidateNode,
  CapacityReport,
  DeployPlan,
  DeployRequest,
  NodeCapacity,
  SchedulingPolicy,
} from './types.js';

/**
 * The pipeline (see README.md): feasibility → fit → strategy → allocate.
 * Pure: the same input always gives the same plan; nothing here reads a clock, a file or a socket.
 */
export interface PlanInput {
  /** The pod's name, for messages. */
  pod: string;
  policy: SchedulingPolicy;
  nodes: readonly CandidateNode[];
  request: DeployRequest;
  /** Where the request sits in the caller's document, so errors name the caller's field. */
  requestPath?: ErrorPath;
  /**
   * Orders nodes that tie for a strategy (strategies/types.ts tieOrder); without it, by name. The
   * core gives each deploy its own, so that deploys planned at once on the same ledgers do not all
   * pick the same nodes and fail each other's transactions.
   */
  tieBreak?: string;
}

export type PlanResult = DeployPlan;

interface Assessed {
  pieceRequest: PieceRequest;
  capacity: CapacityReport;
  feasible: CandidateNode[];
  /** Capacity of each feasible node, by the same index. */
  feasibleCapacity: number[];
  /** Nodes that may not take it for a reason of their own (down, bypassed...), not the caller's filter. */
  unavailable: Map<string, string>;
}

function assess(input: PlanInput): Assessed {
  validateDeploy(input.request, input.requestPath);
  const pieceRequest = toPieces(input.request, input.policy, input.requestPath);
  const { feasible, rejected, notAsked } = feasibleNodes(input.nodes, input.request.filter, input.request);
  const capacity: CapacityReport = { total: 0, nodes: [] };
  const feasibleCapacity: number[] = [];
  for (const node of input.nodes) {
    const reason = rejected.get(node.name);
    if (reason !== undefined) {
      capacity.nodes.push({ node: node.name, capacity: 0, reason });
      continue;
    }
    const fit = limitByPorts(nodeCapacity(node.name, node, pieceRequest, input.policy), input.request.ports);
    capacity.nodes.push(fit);
    feasibleCapacity.push(fit.capacity);
    capacity.total += fit.capacity;
  }
  const unavailable = new Map([...rejected].filter(([node]) => !notAsked.has(node)));
  return { pieceRequest, capacity, feasible, feasibleCapacity, unavailable };
}

/** One instance per node at most when the request publishes host ports: a second would collide with the first. */
function limitByPorts(fit: NodeCapacity, ports: readonly string[] | undefined): NodeCapacity {
  if (!ports?.length || fit.capacity <= 1) return fit;
  return { node: fit.node, capacity: 1, reason: `one instance per node: it publishes host port ${ports.join(', ')}` };
}

/** How many more instances fit, per node and in all: the capacity-only dry run. */
export function capacityOf(input: PlanInput): CapacityReport {
  return assess(input).capacity;
}

export function planDeploy(input: PlanInput): PlanResult {
  const { pieceRequest, capacity, feasible, feasibleCapacity, unavailable } = assess(input);
  const { request, policy } = input;
  if (request.count === 0) return { capacity, placements: [] };

  const strategy = STRATEGY_TABLE[request.strategy];
  const reasons = (): Record<string, string> =>
    Object.fromEntries(capacity.nodes.map((fit) => [fit.node, `${fit.capacity} more: ${fit.reason ?? ''}`]));
  const what = describeRequest(request);
  if (strategy.placesCountInTotal && capacity.total < request.count) {
    throw new SchedulingError(`pod ${input.pod} can place ${capacity.total} more of ${what}; ${request.count} asked`, {
      nodes: reasons(),
    });
  }
  const distribution = strategy.distribute({
    nodes: feasible.map((node, i) => ({ name: node.name, capacity: feasibleCapacity[i]!, count: node.count, resources: node })),
    count: request.count,
    limit: request.limit,
    pieces: pieceRequest.pieces,
    memory: pieceRequest.memory,
    sharebase: policy.sharebase,
    ...(request.strict ? { strict: true } : {}),
    ...(input.tieBreak !== undefined ? { tieBreak: input.tieBreak } : {}),
    unavailable,
  });
  if (!distribution.ok) {
    throw new SchedulingError(`pod ${input.pod} cannot place ${what} with ${request.strategy}: ${distribution.reason}`, {
      nodes: { ...reasons(), ...distribution.nodes },
    });
  }

  if (distribution.alreadyDone !== undefined) return { capacity, placements: [], alreadyDone: distribution.alreadyDone };
  const placements: Placement[] = [];
  for (const node of feasible) {
    const count = distribution.counts.get(node.name) ?? 0;
    if (count === 0) continue;
    const workspace = new NodeWorkspace(node, policy);
    for (let i = 0; i < count; i++) {
      const plan = workspace.plan(pieceRequest);
      if (!plan) {
        // Capacity is defined as what these allocations achieve; reaching here is a scheduler bug.
        throw internal(`scheduler: node ${node.name} reported capacity it could not place`);
      }
      workspace.apply(plan);
      placements.push(plan.numa === undefined
        ? { node: node.name, cpuset: plan.cpuset, pieces: plan.pieces, memory: plan.memory }
        : { node: node.name, cpuset: plan.cpuset, pieces: plan.pieces, memory: plan.memory, numa: plan.numa });
    }
  }
  return { capacity, placements, ...(distribution.leftOut ? { leftOut: distribution.leftOut } : {}) };
}
