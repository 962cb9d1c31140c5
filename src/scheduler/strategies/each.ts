import { byName, type DeployStrategy } from './types.js';

/** EACH: `count` instances on every node, or on the `limit` nodes with the most capacity. */
export const each: DeployStrategy = {
  placesCountInTotal: false,
  distribute({ nodes, count, limit }) {
    const able = nodes.filter((n) => n.capacity >= count);
    const reasons = Object.fromEntries(
      nodes.filter((n) => n.capacity < count).map((n) => [n.name, `can take ${n.capacity}, ${count} asked on each node`]),
    );
    if (nodes.length === 0) return { ok: false, reason: 'no node to deploy on' };
    if (limit > 0) {
      if (able.length < limit) {
        return { ok: false, reason: `${able.length} node(s) can take ${count} each; ${limit} asked`, nodes: reasons };
      }
      const chosen = [...able].sort((a, b) => b.capacity - a.capacity || byName(a, b)).slice(0, limit);
      return { ok: true, counts: new Map(chosen.map((n) => [n.name, count])) };
    }
    if (able.length < nodes.length) {
      return { ok: false, reason: `${nodes.length - able.length} node(s) cannot take ${count} each`, nodes: reasons };
    }
    return { ok: true, counts: new Map(nodes.map((n) => [n.name, count])) };
  },
};
