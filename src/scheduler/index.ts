export * from './types.js';
export { toPieces, describeRequest, validateDeploy, SchedulingError, type PieceRequest } from './request.js';
export { planInstance, applyPlacement, releasePlacement, allocate, release, cloneResources, type InstancePlan } from './allocate.js';
export { freePieces, nodeCapacity, UNLIMITED_INSTANCES } from './fit.js';
export { feasibleNodes, DEFAULT_CHECKS, type FeasibilityCheck } from './feasibility.js';
export { planDeploy, capacityOf, type PlanInput, type PlanResult } from './plan.js';
export { planRealloc } from './realloc.js';
export { expectedLedger, heldCounts, ledgerDrift, type Holder } from './invariants.js';
