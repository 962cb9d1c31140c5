import { Heap } from '../heap.js';
import { byName, type DeployStrategy, type StrategyNode } from './types.js';

interface Slot {
  node: StrategyNode;
  count: number;
  left: number;
}

/**
 * AUTO: one instance at a time, to the node with the fewest instances of this app/entrypoint;
 * ties go to the node with the most capacity left, then by name.
 */
export const auto: DeployStrategy = {
  placesCountInTotal: true,
  distribute({ nodes, count }) {
    const heap = new Heap<Slot>((a, b) => a.count - b.count || b.left - a.left || byName(a.node, b.node));
    for (const node of nodes) if (node.capacity > 0) heap.push({ node, count: node.count, left: node.capacity });
    const counts = new Map<string, number>();
    for (let placed = 0; placed < count; placed++) {
      const slot = heap.pop();
      if (!slot) return { ok: false, reason: 'capacity ran out' };
      counts.set(slot.node.name, (counts.get(slot.node.name) ?? 0) + 1);
      slot.count++;
      slot.left--;
      if (slot.left > 0) heap.push(slot);
    }
    return { ok: true, counts };
  },
};
