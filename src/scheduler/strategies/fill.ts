import { byName, type DeployStrategy } from './types.js';

/**
 * FILL: top every node up to `count` instances of this app/entrypoint. With `limit`, top up at most
 * that many nodes, those closest to the target first (ties: most capacity, then name).
 */
export const fill: DeployStrategy = {
  placesCountInTotal: false,
  distribute({ nodes, count, limit }) {
    const wanting = nodes.filter((n) => n.count < count).map((n) => ({ node: n, need: count - n.count }));
    if (wanting.length === 0) return { ok: false, reason: `every node already runs ${count} or more` };
    const short = wanting.filter((w) => w.node.capacity < w.need);
    const reasons = Object.fromEntries(short.map((w) => [w.node.name, `can take ${w.node.capacity}, needs ${w.need} to reach ${count}`]));
    let chosen = wanting;
    if (limit > 0) {
      chosen = wanting
        .filter((w) => w.node.capacity >= w.need)
        .sort((a, b) => a.need - b.need || b.node.capacity - a.node.capacity || byName(a.node, b.node))
        .slice(0, limit);
      if (chosen.length === 0) return { ok: false, reason: `no node can be topped up to ${count}`, nodes: reasons };
    } else if (short.length > 0) {
      return { ok: false, reason: `${short.length} node(s) cannot be topped up to ${count}`, nodes: reasons };
    }
    return { ok: true, counts: new Map(chosen.map((w) => [w.node.name, w.need])) };
  },
};
