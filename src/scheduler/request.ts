import { EruError, invalid, type ErrorPath, ErrorCode } from '../lib/errors.js';
import { formatMemory } from '../lib/units.js';
import { STRATEGIES } from '../model/strategies.js';
import type { DeployRequest, ResourceRequest, SchedulingPolicy } from './types.js';

/** A request turned into pieces of the pod's sharebase: `full` whole cores plus a `fragment`. */
export interface PieceRequest {
  pieces: number;
  full: number;
  fragment: number;
  memory: number;
  bind: boolean;
}

const EPSILON = 1e-9;

export function toPieces(request: ResourceRequest, policy: SchedulingPolicy, path: ErrorPath = []): PieceRequest {
  const { sharebase } = policy;
  if (!Number.isFinite(request.cpu) || request.cpu < 0) throw invalid([...path, 'cpu'], 'cpu must be a number ≥ 0');
  if (!Number.isInteger(request.memory) || request.memory < 0) {
    throw invalid([...path, 'memory'], 'memory must be a whole, non-negative number of bytes');
  }
  const exact = request.cpu * sharebase;
  const pieces = Math.round(exact);
  if (Math.abs(exact - pieces) > EPSILON * Math.max(1, exact)) {
    throw invalid([...path, 'cpu'], `cpu ${request.cpu} is not a multiple of ${1 / sharebase} (sharebase ${sharebase})`);
  }
  if (request.bind && pieces <= 0) throw invalid([...path, 'cpu'], 'a bound workload needs cpu > 0');
  if (!request.bind && pieces === 0 && request.memory === 0) {
    throw invalid([...path, 'cpu'], 'an unbound workload needs cpu > 0 or memory > 0, or nothing limits how many fit');
  }
  return {
    pieces,
    full: Math.floor(pieces / sharebase),
    fragment: pieces % sharebase,
    memory: request.memory,
    bind: request.bind,
  };
}

/** Checks what the schema cannot: strategy names from loose input, counts per strategy. */
export function validateDeploy(request: DeployRequest, path: ErrorPath = []): void {
  if (!(STRATEGIES as readonly string[]).includes(request.strategy)) {
    throw invalid([...path, 'strategy'], `unknown strategy "${request.strategy}" (one of ${STRATEGIES.join(', ')})`);
  }
  if (!Number.isInteger(request.count) || request.count < 0) throw invalid([...path, 'count'], 'count must be a whole number ≥ 0');
  if (!Number.isInteger(request.limit) || request.limit < 0) throw invalid([...path, 'limit'], 'limit must be a whole number ≥ 0');
  if (request.strategy === 'EACH' && request.count === 0) {
    throw invalid([...path, 'count'], 'EACH needs a count: how many instances on each node');
  }
  if ((request.strategy === 'GLOBAL' || request.strategy === 'DRAINED') && request.limit > 0) {
    throw invalid([...path, 'limit'], `limit has no meaning for ${request.strategy}; it is for AUTO (most per node), FILL (how many nodes) and EACH (how many nodes)`);
  }
  if (request.strict && request.strategy !== 'EACH') {
    throw invalid([...path, 'strict'], `strict has no meaning for ${request.strategy}; it is for EACH (every node or none)`);
  }
  if (request.strategy === 'FILL' && request.count === 0) {
    throw invalid([...path, 'count'], 'FILL needs a count: how many instances each node is topped up to');
  }
}

/** `cpu=1.5 memory=1GiB bound`, as used in messages. */
export function describeRequest(request: ResourceRequest): string {
  const parts = [`cpu=${request.cpu}`];
  if (request.memory > 0) parts.push(`memory=${formatMemory(request.memory)}`);
  parts.push(request.bind ? 'bound' : 'unbound');
  return parts.join(' ');
}

export class SchedulingError extends EruError {
  constructor(message: string, details: { nodes: Record<string, string> }) {
    super(ErrorCode.INSUFFICIENT_CAPACITY, message, { details });
    this.name = 'SchedulingError';
  }
}
