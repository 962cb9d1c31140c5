import { deadline, forcedRemoval } from '../../engine/docker.js';
import { engineMessage, isMissing } from '../../engine/engines.js';
import { expectedLedger } from '../../scheduler/index.js';
import type { CoreContext } from '../context.js';
import { absent, del, put, unchanged } from '../repositories.js';
import { takeAddress } from '../reservations/addresses.js';
import { rewriteLedger } from '../reservations/ledger.js';
import { heldWorkloads } from '../workloads/held.js';
import { announceForgotten, forgetting } from '../workloads/forget.js';
import type { Drift, Fix } from './find.js';

/** What a repair did, or why it did not. */
export type Outcome = { repaired: string } | { left: string };

/**
 * Carries out one finding's fix, each in its own transaction guarded by the revisions it reads now —
 * never by what the check read a moment ago: what changed since is left for the next check. Each
 * is logged. `seenBefore`: the container was found leaked by an earlier check (only then it goes).
 */
export async function repair(context: CoreContext, drift: Drift & { fix: Fix }, seenBefore: boolean): Promise<Outcome> {
  const outcome = await carryOut(context, drift.fix, seenBefore);
  context.log.warn({ kind: drift.kind, subject: drift.subject, message: drift.message, ...outcome }, 'eru check: drift');
  return outcome;
}

async function carryOut(context: CoreContext, fix: Fix, seenBefore: boolean): Promise<Outcome> {
  const { repos } = context;
  const changed = { left: 'it changed since the check read it: the next check looks again' };
  // A held port's name is `{port}-{proto}`.
  const portKey = (node: string, name: string): string => {
    const [port, protocol] = name.split('-') as [string, string];
    return repos.ports.key(node, Number(port), protocol);
  };
  switch (fix.type) {
    case 'remove-container': {
      if (!seenBefore) return { left: 'seen leaked by this check only: removed when a later check still finds it' };
      // No record or intent may claim it now either.
      if (fix.workload && (await heldWorkloads(repos)).some((h) => h.workload.id === fix.workload)) return changed;
      const node = await repos.nodes.get(fix.node);
      if (!node) return changed;
      try {
        await context.engines.get(node.value).getContainer(fix.container).remove(forcedRemoval());
      } catch (error) {
        if (!isMissing(error)) return { left: `Docker on ${fix.node} refused: ${engineMessage(error)}` };
      }
      await repos.commit([], [del(repos.leaks.key(fix.container))]);
      return { repaired: 'removed' };
    }
    case 'forget-workload': {
      const workload = await repos.workloads.get(fix.workload);
      if (!workload) return changed;
      const node = await repos.nodes.get(workload.value.node);
      if (!node) return changed;
      // Docker is asked again: the container must still be missing.
      const docker = context.engines.get(node.value);
      const found = await docker.getContainer(workload.value.containerId ?? workload.value.id).inspect(deadline()).then(() => true, (error: unknown) => (isMissing(error) ? false : null));
      if (found !== false) return found ? changed : { left: `Docker on ${node.value.name} did not answer` };
      const part = await forgetting(context, workload.value.pod, workload.value.node, [workload]);
      if (!(await repos.commit(part.compares, part.ops))) return changed;
      await announceForgotten(context, [workload.value], 'its container was gone (eru check --repair)');
      return { repaired: 'forgotten: its cores, addresses and ports given back' };
    }
    case 'recompute-ledger': {
      const [ledger, node] = await Promise.all([repos.ledgers.get(fix.node), repos.nodes.get(fix.node)]);
      const pod = node && (await repos.pods.get(node.value.pod));
      if (!ledger || !node || !pod) return changed;
      const holders = (await heldWorkloads(repos)).filter((h) => h.holdsPieces && h.workload.node === fix.node).map((h) => h.workload);
      const expected = expectedLedger(ledger.value, holders, { sharebase: pod.value.sharebase, memory: node.value.memory ?? null });
      if (Object.values(expected.cpus).some((free) => free < 0)) return { left: 'its holders hold more of a core than it has (a core held twice): not guessed' };
      const part = rewriteLedger(repos, fix.node, ledger.revision, expected);
      return (await repos.commit(part.compares, part.ops)) ? { repaired: 'recomputed from its holders' } : changed;
    }
    case 'release-address': {
      const held = await repos.addresses.get(fix.network, fix.address);
      if (!held || held.value.workload !== fix.workload) return changed;
      const holder = (await heldWorkloads(repos)).find((h) => h.workload.id === fix.workload);
      if (holder?.workload.addresses.some((a) => a.network === fix.network && a.address === fix.address)) return changed;
      const key = repos.addresses.key(fix.network, fix.address);
      return (await repos.commit([unchanged(key, held.revision)], [del(key)])) ? { repaired: 'released' } : changed;
    }
    case 'hold-address': {
      const workload = await repos.workloads.get(fix.workload);
      if (!workload?.value.addresses.some((a) => a.network === fix.network && a.address === fix.address)) return changed;
      const part = takeAddress(repos, workload.value, fix.network, fix.address);
      return (await repos.commit([...part.compares, unchanged(repos.workloads.key(fix.workload), workload.revision)], part.ops)) ? { repaired: `held for ${fix.workload}` } : changed;
    }
    case 'release-port': {
      const key = portKey(fix.node, fix.key);
      const held = (await repos.ports.list(fix.node)).find((p) => p.name === fix.key);
      if (!held || held.value.workload !== fix.workload) return changed;
      return (await repos.commit([unchanged(key, held.revision)], [del(key)])) ? { repaired: 'released' } : changed;
    }
    case 'hold-port': {
      const workload = await repos.workloads.get(fix.workload);
      if (!workload || workload.value.node !== fix.node) return changed;
      const key = portKey(fix.node, fix.key);
      const ok = await repos.commit([absent(key), unchanged(repos.workloads.key(fix.workload), workload.revision)], [put(key, { workload: fix.workload, node: fix.node, address: fix.address })]);
      return ok ? { repaired: `held for ${fix.workload}` } : changed;
    }
  }
}
