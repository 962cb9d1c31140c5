import { byName, type DeployStrategy } from './types.js';

/** DRAINED: bin packing. Fill the node with the smallest capacity first, then the next. */
export const drained: DeployStrategy = {
  placesCountInTotal: true,
  distribute({ nodes, count }) {
    const order = nodes.filter((n) => n.capacity > 0).sort((a, b) => a.capacity - b.capacity || byName(a, b));
    const counts = new Map<string, number>();
    let left = count;
    for (const node of order) {
      if (left === 0) break;
      const take = Math.min(left, node.capacity);
      counts.set(node.name, take);
      left -= take;
    }
    return left === 0 ? { ok: true, counts } : { ok: false, reason: 'capacity ran out' };
  },
};
