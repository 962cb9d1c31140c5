import { event } from '../../bus/index.js';
import { DRIFT_KINDS, type CheckBody, type CheckReport, type Finding } from '../../contract/check.js';
import type { CoreContext } from '../context.js';
import { del, put } from '../repositories.js';
import { findDrift, type Drift, type Fix } from './find.js';
import { gather } from './gather.js';
import { repair } from './repair.js';

/** How often the leader checks the whole cluster (report only: counts, events, leak suspects). */
export const CHECK_EVERY_MS = 60_000;

/**
 * `eru check [--repair]` (README.md): the store's records against what each node's Docker has —
 * gather (gather.ts) → find, pure (find.ts) → repair, each fix in its own guarded transaction
 * (repair.ts). A leaked container goes only once two checks found it; duplicates are reported, never
 * guessed; a service off its count is the keeper's.
 */
export class Checks {
  private lastRun = 0;
  private lastTookMs = 0;
  private running: Promise<CheckReport> | undefined;

  constructor(private readonly context: CoreContext) {}

  async run(body: CheckBody): Promise<CheckReport> {
    const started = new Date();
    // Twice, keeping what both saw: one look reads ledgers, records and address keys one after the
    // other, and a deploy committing in between would pass for drift. Real drift stays put.
    const first = findDrift((await gather(this.context, body.pod)).input);
    const { input, skipped } = await gather(this.context, body.pod);
    const seenFirst = new Set(first.map(driftKey));
    const drift = findDrift(input).filter((d) => seenFirst.has(driftKey(d)));
    const seenBefore = await this.trackLeaks(drift, input.nodes.map((n) => n.name), started);
    const findings: Finding[] = [];
    for (const found of drift) {
      const { fix, ...finding } = found;
      if (body.repair && fix) findings.push({ ...finding, ...(await repair(this.context, { ...found, fix }, seenBefore.has(fixSubject(fix)))) });
      else findings.push(finding);
    }
    const counts = Object.fromEntries(DRIFT_KINDS.map((kind) => [kind, findings.filter((f) => f.kind === kind).length]));
    if (!body.pod) for (const kind of DRIFT_KINDS) this.context.metrics.checkDrift.set({ kind }, counts[kind]!);
    if (findings.length > 0) this.context.publish(event('check.drift', { ...(body.pod ? { pod: body.pod } : {}), data: { counts, repair: body.repair, repaired: findings.filter((f) => f.repaired).length } }));
    return { at: started.toISOString(), repair: body.repair, nodes: input.nodes.map((n) => n.name), skipped, findings, counts };
  }

  /** The leader's look, once a minute: a whole check without repair (its counts in /metrics, its leaks remembered). */
  poke(): void {
    // Every minute, or less often where a pass takes long (a million workloads): at most a tenth of the leader's time.
    if (this.running || Date.now() - this.lastRun < Math.max(CHECK_EVERY_MS, this.lastTookMs * 10)) return;
    const started = Date.now();
    this.lastRun = started;
    this.running = this.run({ repair: false });
    void this.running
      .catch((error: unknown) => this.context.log.warn({ err: error }, 'the periodic check failed'))
      .finally(() => {
        this.lastTookMs = Date.now() - started;
        this.running = undefined;
      });
  }

  /**
   * Remembers each leaked container with when it was first seen; forgets those no longer leaked on the
   * nodes just checked. Returns the containers an earlier check had already found leaked.
   */
  private async trackLeaks(drift: readonly Drift[], checkedNodes: readonly string[], now: Date): Promise<Set<string>> {
    const { repos } = this.context;
    const known = new Map((await repos.leaks.list()).map((l) => [l.name, l.value]));
    const leaked = drift.flatMap((d) => (d.fix?.type === 'remove-container' ? [d.fix] : []));
    const seenBefore = new Set(leaked.filter((l) => known.has(l.container)).map((l) => l.container));
    const ops = [
      ...leaked.filter((l) => !known.has(l.container)).map((l) => put(repos.leaks.key(l.container), { node: l.node, ...(l.workload ? { workload: l.workload } : {}), firstSeen: now.toISOString() })),
      ...[...known].filter(([container, suspect]) => checkedNodes.includes(suspect.node) && !leaked.some((l) => l.container === container)).map(([container]) => del(repos.leaks.key(container))),
    ];
    if (ops.length > 0) await repos.commit([], ops);
    return seenBefore;
  }
}

const driftKey = (drift: Drift): string => `${drift.kind} ${drift.subject}`;

/** The key a fix's "seen before" is looked up by: a leaked container's id. */
function fixSubject(fix: Fix): string {
  return fix.type === 'remove-container' ? fix.container : '';
}
