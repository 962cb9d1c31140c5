import { freePieces } from '../fit.js';
import { Heap } from '../heap.js';
import { byName, type DeployStrategy, type StrategyNode } from './types.js';

interface Slot {
  node: StrategyNode;
  totalPieces: number;
  usedPieces: number;
  usedMemory: number;
  left: number;
  /** Utilisation the node would have with one more instance. */
  next: number;
}

/**
 * GLOBAL: evens out utilisation across nodes. Each instance goes where the node's utilisation after
 * taking it (the larger of its CPU and memory shares) is lowest; ties by name.
 */
export const global: DeployStrategy = {
  placesCountInTotal: true,
  distribute({ nodes, count, pieces, memory, sharebase }) {
    const utilisation = (slot: Omit<Slot, 'next'>): number => {
      const cpu = slot.totalPieces > 0 ? (slot.usedPieces + pieces) / slot.totalPieces : 0;
      const total = slot.node.resources.memoryTotal;
      const mem = total ? (slot.usedMemory + memory) / total : 0;
      return Math.max(cpu, mem);
    };
    const heap = new Heap<Slot>((a, b) => a.next - b.next || byName(a.node, b.node));
    for (const node of nodes) {
      if (node.capacity <= 0) continue;
      const { cpus, unboundPieces, memory: free, memoryTotal } = node.resources;
      const totalPieces = Object.keys(cpus).length * sharebase;
      const slot = {
        node,
        totalPieces,
        usedPieces: totalPieces - freePieces(cpus) + unboundPieces,
        usedMemory: memoryTotal !== null && free !== null ? memoryTotal - free : 0,
        left: node.capacity,
      };
      heap.push({ ...slot, next: utilisation(slot) });
    }
    const counts = new Map<string, number>();
    for (let placed = 0; placed < count; placed++) {
      const slot = heap.pop();
      if (!slot) return { ok: false, reason: 'capacity ran out' };
      counts.set(slot.node.name, (counts.get(slot.node.name) ?? 0) + 1);
      slot.usedPieces += pieces;
      slot.usedMemory += memory;
      slot.left--;
      slot.next = utilisation(slot);
      if (slot.left > 0) heap.push(slot);
    }
    return { ok: true, counts };
  },
};
