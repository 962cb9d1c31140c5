import { byName, type DeployStrategy } from './types.js';

/**
 * FILL: nodes hold `count` instances of this app/entrypoint each. Without `limit`, every node is
 * topped up to `count`. With `limit`, `limit` nodes must hold `count`: nodes that already do count
 * towards it, and the rest are chosen among nodes that can reach `count`, closest to it first (ties:
 * most capacity, then name). When the target already holds, nothing is placed ("already filled").
 */
export const fill: DeployStrategy = {
  placesCountInTotal: false,
  distribute({ nodes, count, limit }) {
    const filled = nodes.filter((n) => n.count >= count);
    const wanting = nodes.filter((n) => n.count < count).map((n) => ({ node: n, need: count - n.count }));
    const short = wanting.filter((w) => w.node.capacity < w.need);
    const reasons = Object.fromEntries(short.map((w) => [w.node.name, `can take ${w.node.capacity}, needs ${w.need} to reach ${count}`]));
    const names = (list: ReadonlyArray<{ name: string }>): string => list.map((n) => n.name).join(', ');
    if (limit === 0) {
      if (wanting.length === 0) return { ok: true, counts: new Map(), alreadyDone: `already filled: every node holds ${count} or more (${names(filled)})` };
      if (short.length > 0) return { ok: false, reason: `${short.length} node(s) cannot be topped up to ${count}`, nodes: reasons };
      return { ok: true, counts: new Map(wanting.map((w) => [w.node.name, w.need])) };
    }
    const missing = limit - filled.length;
    if (missing <= 0) {
      return { ok: true, counts: new Map(), alreadyDone: `already filled: ${filled.length} node(s) hold ${count} or more (${names(filled)}); limit ${limit}` };
    }
    const able = wanting
      .filter((w) => w.node.capacity >= w.need)
      .sort((a, b) => a.need - b.need || b.node.capacity - a.node.capacity || byName(a.node, b.node));
    if (able.length < missing) {
      return {
        ok: false,
        reason: `${limit} node(s) must hold ${count}: ${filled.length} already do and ${able.length} more can reach it`,
        nodes: reasons,
      };
    }
    return { ok: true, counts: new Map(able.slice(0, missing).map((w) => [w.node.name, w.need])) };
  },
};
