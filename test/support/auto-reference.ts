import { Heap } from '../../src/scheduler/heap.js';
import { tieOrder, type StrategyInput } from '../../src/scheduler/strategies/types.js';

/** AUTO by its definition: one instance at a time through a heap. The real one computes levels. */
export function autoOneAtATime({ nodes, count, tieBreak }: StrategyInput): Map<string, number> | null {
  type Slot = { name: string; count: number; left: number };
  const ties = tieOrder(tieBreak);
  const heap = new Heap<Slot>((a, b) => a.count - b.count || b.left - a.left || ties(a, b));
  for (const node of nodes) if (node.capacity > 0) heap.push({ name: node.name, count: node.count, left: node.capacity });
  const counts = new Map<string, number>();
  for (let placed = 0; placed < count; placed++) {
    const slot = heap.pop();
    if (!slot) return null;
    counts.set(slot.name, (counts.get(slot.name) ?? 0) + 1);
    slot.count++;
    slot.left--;
    if (slot.left > 0) heap.push(slot);
  }
  return counts;
}
