import { EruError, notFound, ErrorCode } from '../../lib/errors.js';
import type { CoreContext } from '../context.js';
import type { Node } from '../../model/node.js';

/** The nodes an image goes to: the named ones (of the pod, if given), else every node of the pod, else every node. */
export async function nodeTargets(context: CoreContext, pod: string | undefined, names: readonly string[]): Promise<Node[]> {
  if (pod && !(await context.repos.pods.get(pod))) throw notFound('pod', pod);
  const all = (await context.repos.nodes.list()).map((n) => n.value);
  for (const name of names) if (!all.some((n) => n.name === name)) throw notFound('node', name);
  const chosen = all.filter((n) => (names.length === 0 || names.includes(n.name)) && (!pod || n.pod === pod));
  if (chosen.length === 0) throw new EruError(ErrorCode.NOT_FOUND, pod ? `pod ${pod} has no nodes` : 'there are no nodes');
  return chosen;
}
