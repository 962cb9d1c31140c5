/** Which instances go when a service shrinks. Pure. */
export interface Instance {
  id: string;
  node: string;
  createdAt: string;
}

/**
 * `count` instances to remove so that the spread left stays even: each time from the node that runs
 * the most (ties: by node name), and there the newest (ties: by id).
 */
export function chooseVictims(instances: readonly Instance[], count: number): Instance[] {
  const byNode = new Map<string, Instance[]>();
  for (const instance of instances) byNode.set(instance.node, [...(byNode.get(instance.node) ?? []), instance]);
  for (const list of byNode.values()) list.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id));
  const victims: Instance[] = [];
  while (victims.length < count) {
    let crowded: [string, Instance[]] | undefined;
    for (const entry of byNode) {
      if (entry[1].length === 0) continue;
      if (!crowded || entry[1].length > crowded[1].length || (entry[1].length === crowded[1].length && entry[0] < crowded[0])) crowded = entry;
    }
    if (!crowded) break;
    victims.push(crowded[1].shift()!);
  }
  return victims;
}
