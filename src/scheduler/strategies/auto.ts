import { tieOrder, type DeployStrategy, type StrategyNode } from './types.js';

/**
 * AUTO: one instance at a time, to the node with the fewest instances of this app/entrypoint;
 * ties go to the node with the most capacity left, then in the tie-break's order (tieOrder: by
 * name, or as the deploy's own tie-break string shuffles them). With `limit`, no node ends up with
 * more than `limit` instances of the app/entrypoint, counting those it already runs.
 *
 * Placing one at a time is water-filling, so it is computed by levels instead of a heap: find the
 * lowest level L (instances per node) whose fill holds `count`, fill every node to L - 1 (or its
 * capacity), then hand the remainder to the nodes that can reach L, most capacity left first.
 * The property tests check this against the one-at-a-time definition.
 */
export const auto: DeployStrategy = {
  placesCountInTotal: true,
  distribute({ nodes: all, count, limit, tieBreak }) {
    const nodes = limit > 0 ? all.map((n) => ({ ...n, capacity: Math.min(n.capacity, Math.max(0, limit - n.count)) })) : all;
    const usable = nodes.filter((n) => n.capacity > 0);
    const filledTo = (level: number, node: StrategyNode): number => Math.min(node.capacity, Math.max(0, level - node.count));
    const fillAt = (level: number): number => usable.reduce((sum, node) => sum + filledTo(level, node), 0);

    let low = Math.min(...usable.map((n) => n.count));
    let high = Math.max(...usable.map((n) => n.count + n.capacity));
    if (usable.length === 0 || fillAt(high) < count) {
      if (limit === 0) return { ok: false, reason: 'capacity ran out' };
      const room = usable.reduce((sum, n) => sum + n.capacity, 0);
      return {
        ok: false,
        reason: `with at most ${limit} per node the pod can take ${room} more; ${count} asked`,
        nodes: Object.fromEntries(all.filter((n) => n.count >= limit).map((n) => [n.name, `at its limit: runs ${n.count}, limit ${limit}`])),
      };
    }
    // Smallest level whose fill reaches count.
    while (low < high) {
      const mid = Math.floor((low + high) / 2);
      if (fillAt(mid) >= count) high = mid;
      else low = mid + 1;
    }
    const level = low;
    const ties = tieOrder(tieBreak);
    const counts = new Map<string, number>();
    let remainder = count;
    for (const node of usable) {
      const placed = filledTo(level - 1, node);
      if (placed > 0) counts.set(node.name, placed);
      remainder -= placed;
    }
    const reaching = usable
      .filter((node) => node.count <= level - 1 && node.capacity > filledTo(level - 1, node))
      .map((node) => ({ node, left: node.capacity - filledTo(level - 1, node) }))
      .sort((a, b) => b.left - a.left || ties(a.node, b.node));
    for (const { node } of reaching.slice(0, remainder)) counts.set(node.name, (counts.get(node.name) ?? 0) + 1);
    return { ok: true, counts };
  },
};
