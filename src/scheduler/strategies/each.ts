import { byName, type DeployStrategy } from './types.js';

/**
 * EACH: `count` instances on every node, or on the `limit` nodes with the most capacity. A node that
 * cannot take `count` is left out and reported (so are nodes that are down or bypassed), as Nomad's
 * system jobs and Eru's Go scheduler do; with `strict` (all or nothing) a node of the pod's schedulable
 * ones that cannot take `count` refuses the whole deploy instead.
 */
export const each: DeployStrategy = {
  placesCountInTotal: false,
  distribute({ nodes, count, limit, strict, unavailable }) {
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
    if (able.length === 0) return { ok: false, reason: `no node can take ${count}`, nodes: reasons };
    if (able.length < nodes.length && strict) {
      return { ok: false, reason: `${nodes.length - able.length} node(s) cannot take ${count} each (strict: all or nothing)`, nodes: reasons };
    }
    const leftOut = { ...Object.fromEntries(unavailable ?? []), ...reasons };
    return { ok: true, counts: new Map(able.map((n) => [n.name, count])), ...(Object.keys(leftOut).length > 0 ? { leftOut } : {}) };
  },
};
