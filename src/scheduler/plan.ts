import { EruError, type ErrorPath } from '../lib/errors.js';
import { applyPlacement, cloneResources, planInstance } from './allocate.js';
import { sumFree } from './cores.js';
import { feasibleNodes } from './feasibility.js';
import { nodeCapacity } from './fit.js';
import { describeRequest, SchedulingError, toPieces, validateDeploy, type PieceRequest } from './request.js';
import { STRATEGY_TABLE, type StrategyNode } from './strategies/index.js';
import type {
  CandidateNode,
  CapacityReport,
  DeployPlan,
  DeployRequest,
  NodeResources,
  Placement,
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
}

export interface PlanResult extends DeployPlan {
  /** The ledgers of the nodes that take instances, as they are once the placements are applied. */
  ledgers: Record<string, NodeResources>;
}

interface Assessed {
  pieceRequest: PieceRequest;
  capacity: CapacityReport;
  feasible: CandidateNode[];
}

function assess(input: PlanInput): Assessed {
  validateDeploy(input.request, input.requestPath);
  const pieceRequest = toPieces(input.request, input.policy, input.requestPath);
  const { feasible, rejected } = feasibleNodes(input.nodes, input.request.filter);
  const capacity: CapacityReport = { total: 0, nodes: {} };
  for (const node of input.nodes) {
    const reason = rejected[node.name];
    if (reason !== undefined) {
      capacity.nodes[node.name] = { capacity: 0, reason };
      continue;
    }
    const fit = nodeCapacity(node, pieceRequest, input.policy);
    capacity.nodes[node.name] = fit;
    capacity.total += fit.capacity;
  }
  return { pieceRequest, capacity, feasible };
}

/** How many more instances fit, per node and in all: the capacity-only dry run. */
export function capacityOf(input: PlanInput): CapacityReport {
  return assess(input).capacity;
}

export function planDeploy(input: PlanInput): PlanResult {
  const { pieceRequest, capacity, feasible } = assess(input);
  const { request, policy } = input;
  if (request.count === 0) return { capacity, placements: [], ledgers: {} };

  const strategy = STRATEGY_TABLE[request.strategy];
  const reasons = (): Record<string, string> =>
    Object.fromEntries(Object.entries(capacity.nodes).map(([name, fit]) => [name, `${fit.capacity} more: ${fit.reason ?? ''}`]));
  const what = describeRequest(request);
  if (strategy.placesCountInTotal && capacity.total < request.count) {
    throw new SchedulingError(`pod ${input.pod} can place ${capacity.total} more of ${what}; ${request.count} asked`, {
      nodes: reasons(),
    });
  }
  const distribution = strategy.distribute({
    nodes: feasible.map((node) => strategyNode(node, capacity.nodes[node.name]!.capacity, policy)),
    count: request.count,
    limit: request.limit,
    pieces: pieceRequest.pieces,
    memory: pieceRequest.memory,
  });
  if (!distribution.ok) {
    throw new SchedulingError(`pod ${input.pod} cannot place ${what} with ${request.strategy}: ${distribution.reason}`, {
      nodes: { ...reasons(), ...distribution.nodes },
    });
  }

  const placements: Placement[] = [];
  const ledgers: Record<string, NodeResources> = {};
  for (const node of feasible) {
    const count = distribution.counts.get(node.name) ?? 0;
    if (count === 0) continue;
    const working = cloneResources(node);
    for (let i = 0; i < count; i++) {
      const plan = planInstance(working, pieceRequest, policy);
      if (!plan) {
        // Capacity is defined as what these allocations achieve; reaching here is a scheduler bug.
        throw new EruError('INTERNAL', `scheduler: node ${node.name} reported capacity it could not place`, { status: 500 });
      }
      applyPlacement(working, plan);
      placements.push({ node: node.name, ...plan });
    }
    ledgers[node.name] = resourcesOnly(working);
  }
  return { capacity, placements, ledgers };
}

function resourcesOnly(node: NodeResources): NodeResources {
  return {
    cpus: node.cpus,
    unboundPieces: node.unboundPieces,
    memory: node.memory,
    memoryTotal: node.memoryTotal,
    ...(node.numa ? { numa: node.numa } : {}),
    ...(node.numaMemory ? { numaMemory: node.numaMemory } : {}),
  };
}

function strategyNode(node: CandidateNode, capacity: number, policy: SchedulingPolicy): StrategyNode {
  const totalPieces = Object.keys(node.cpus).length * policy.sharebase;
  return {
    name: node.name,
    capacity,
    count: node.count,
    totalPieces,
    usedPieces: totalPieces - sumFree(node.cpus) + node.unboundPieces,
    totalMemory: node.memoryTotal,
    usedMemory: node.memoryTotal !== null && node.memory !== null ? node.memoryTotal - node.memory : 0,
  };
}
