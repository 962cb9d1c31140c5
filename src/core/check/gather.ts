import { engineMessage } from '../../engine/engines.js';
import { LABEL } from '../../engine/spec.js';
import { serviceKey } from '../../model/service.js';
import type { NodeResources } from '../../model/resources.js';
import type { CoreContext } from '../context.js';
import { heldWorkloads, type HeldWorkload } from '../workloads/held.js';
import type { CheckInput, HostContainer } from './find.js';
import { deadline } from '../../engine/docker.js';
import { isSimulated } from '../../engine/simulated.js';

/** Docker has this long to list a node's containers before the node is left out of the check. */
const LIST_TIMEOUT_MS = 10_000;
/** Reads of the ledgers and their holders before a ledger that keeps changing is left for the next pass. */
const CONSISTENT_READS = 3;

/**
 * The nodes' ledgers and every holder, consistent per node: the ledgers are read first, the holders
 * after (heldWorkloads), and a ledger written meanwhile (a deploy reserving, a removal giving back)
 * makes it read again; one still changing after a few reads is left out (`changing`). Under load the
 * two reads otherwise disagree for a moment, and a drift was reported that was not there.
 */
async function ledgersWithHolders({ repos }: CoreContext, names: readonly string[]): Promise<{ ledgers: Map<string, NodeResources>; held: HeldWorkload[]; changing: Set<string> }> {
  for (let read = 1; ; read++) {
    const from = await repos.revision();
    const ledgers = new Map<string, NodeResources>();
    for (const name of names) {
      const ledger = await repos.ledgers.get(name);
      if (ledger) ledgers.set(name, ledger.value);
    }
    const held = await heldWorkloads(repos);
    const changing = new Set([...(await repos.ledgers.changedSince(from))].filter((name) => ledgers.has(name)));
    if (changing.size === 0 || read === CONSISTENT_READS) {
      for (const name of changing) ledgers.delete(name);
      return { ledgers, held, changing };
    }
  }
}

/**
 * What the check compares, read once: the store's records, and the containers each node's Docker has
 * under Eru's labels. Nodes that are down, gone, or whose Docker does not answer are left out (with
 * why): their containers cannot be compared, and their records are the keeper's business.
 */
export async function gather(context: CoreContext, pod?: string): Promise<{ input: CheckInput; skipped: Record<string, string> }> {
  const { repos, engines } = context;
  const pods = new Map((await repos.pods.list()).map((p) => [p.value.name, p.value]));
  const alive = await repos.alive.list();
  const skipped: Record<string, string> = {};
  let simulated = 0;
  const nodes: Array<CheckInput['nodes'][number]> = [];
  for (const { value: node } of await repos.nodes.list()) {
    if (pod && node.pod !== pod) continue;
    if (node.gone) {
      skipped[node.name] = 'declared gone';
      continue;
    }
    if (!alive.has(node.name)) {
      skipped[node.name] = 'down (its agent does not report)';
      continue;
    }
    let containers: HostContainer[] | null = null;
    if (isSimulated(node.endpoint)) simulated++;
    else {
      try {
        const listed = await engines.get(node).listContainers({ all: true, filters: { label: [`${LABEL.managed}=true`, `${LABEL.node}=${node.name}`] }, ...deadline(LIST_TIMEOUT_MS) });
        containers = listed.map((c) => ({ id: c.Id, name: (c.Names[0] ?? c.Id).replace(/^\//, ''), workload: c.Labels[LABEL.workload], running: c.State === 'running' }));
      } catch (error) {
        skipped[node.name] = `its Docker did not answer: ${engineMessage(error)}`;
        continue;
      }
    }
    nodes.push({
      name: node.name,
      sharebase: pods.get(node.pod)?.sharebase ?? 100,
      memory: node.memory ?? null,
      containers,
      fenced: new Set((node.fenced ?? []).map((f) => f.id)),
    });
  }
  if (simulated > 0) skipped['simulated nodes'] = `${simulated} on simulated engines: their containers are not compared (their ledgers, holders, addresses, ports and counts are)`;
  const inPod = <T extends { pod: string }>(items: T[]): T[] => (pod ? items.filter((i) => i.pod === pod) : items);
  const { ledgers, held, changing } = await ledgersWithHolders(context, nodes.map((n) => n.name));
  for (const name of changing) skipped[`${name} (ledger)`] = 'its ledger changed all the while it was read: checked at the next pass';
  const recorded = inPod(held.filter((h) => h.phase === 'recorded').map((h) => h.workload));
  const inIntents = inPod(held.filter((h) => h.phase !== 'recorded').map((h) => h.workload));
  const intentHolders = inPod(held.filter((h) => h.phase !== 'recorded' && h.holdsPieces).map((h) => h.workload));
  const addresses = [];
  for (const { value: network } of await repos.networks.list()) {
    if (pod && !network.pods.includes(pod)) continue;
    for (const held of await repos.addresses.list(network.name)) addresses.push({ network: network.name, address: held.name, workload: held.value.workload });
  }
  const ports = [];
  for (const node of nodes) for (const held of await repos.ports.list(node.name)) ports.push({ node: node.name, key: held.name, workload: held.value.workload });
  const intents = [];
  for (const { value: intent } of await repos.intents.list()) {
    // In the pod checked: by its workloads, or (a replace) by its service.
    if (pod && !intent.workloads.some((w) => w.pod === pod) && intent.replace?.pod !== pod) continue;
    intents.push({ id: intent.id, kind: intent.kind, owner: intent.owner, ownerAlive: await repos.cores.alive(intent.owner) });
  }
  const locks = new Set((await repos.serviceLocks.list()).map((l) => l.name));
  const counts = new Map<string, number>();
  for (const workload of recorded) counts.set(serviceKey(workload), (counts.get(serviceKey(workload)) ?? 0) + 1);
  const services = inPod((await repos.services.list()).map((s) => s.value))
    .filter((s) => s.keep && s.count !== undefined)
    .map((s) => ({ pod: s.pod, app: s.app, entry: s.entry, count: s.count!, instances: counts.get(serviceKey(s)) ?? 0, locked: locks.has(`${s.pod}/${s.app}/${s.entry}`) }));
  return { input: { nodes, ledgers, recorded, inIntents, intentHolders, addresses, ports, intents, services }, skipped };
}
