import type { CandidateNode } from '../../src/scheduler/types.js';

/** A node with `cores` whole free cores of `sharebase` pieces. */
export function wholeNode(name: string, cores: number, sharebase: number, extra: Partial<CandidateNode> = {}): CandidateNode {
  return {
    name,
    cpus: Object.fromEntries(Array.from({ length: cores }, (_, i) => [String(i), sharebase])),
    unboundPieces: 0,
    memory: null,
    memoryTotal: null,
    labels: {},
    bypass: false,
    count: 0,
    ...extra,
    shared: extra.shared ?? {},
  };
}
