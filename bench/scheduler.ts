/**
 * Scheduler benchmark (`npm run bench:scheduler`).
 *
 * For 1,000 / 10,000 / 100,000 nodes of 24 cores (sharebase 100), each size in its own process so its
 * peak memory is its own:
 *   - capacity of one 1.3-CPU bound request (the O(cores) count in fit.ts), and the same capacity by
 *     repeating the allocation itself — the baseline measured in the same run;
 *   - an AUTO plan of 100,000 instances of 1.3 CPU / 1 GiB, cpusets included (10,000 on 1,000 nodes, where
 *     100,000 do not fit);
 *   - a memory-only capacity (unbound, cpu 0, 1 GiB).
 * Prints medians, the ratio to the baseline, growth against the node count, and the targets from the issue.
 * The nodes are synthetic (no engine is involved): a fixed-seed third of them already carries fragments.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { applyPlacement, cloneResources, planInstance } from '../src/scheduler/allocate.js';
import { capacityOf, planDeploy } from '../src/scheduler/plan.js';
import { toPieces } from '../src/scheduler/request.js';
import type { CandidateNode, DeployRequest, SchedulingPolicy } from '../src/scheduler/types.js';

const GiB = 1024 ** 3;
const POLICY: SchedulingPolicy = { sharebase: 100, maxshare: -1 };
const CORES = 24;
const SIZES = [1_000, 10_000, 100_000];
/** 100,000 instances where they fit (10,000 and 100,000 nodes); 10 per node on 1,000 nodes. */
const AUTO_INSTANCES = (nodes: number): number => Math.min(100_000, nodes * 10);

interface CaseResult {
  nodes: number;
  capacityMs: number;
  capacityTotal: number;
  baselineCapacityMs: number;
  autoMs: number;
  autoInstances: number;
  memoryOnlyMs: number;
  peakRssMiB: number;
}

function makeNodes(count: number): CandidateNode[] {
  let seed = 42;
  const next = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  return Array.from({ length: count }, (_, n) => {
    const cpus: Record<string, number> = {};
    const shared: Record<string, number> = {};
    for (let c = 0; c < CORES; c++) cpus[String(c)] = 100;
    if (n % 3 === 0) {
      cpus['0'] = 0;
      cpus['23'] = Math.floor(next() * 90) + 10;
      shared['23'] = 1;
    }
    return { name: `node-${n}`, cpus, shared, unboundPieces: 0, memory: 128 * GiB, memoryTotal: 128 * GiB, labels: {}, bypass: false, count: 0 };
  });
}

/** Collects the previous phase's garbage so that each phase is timed on its own (node --expose-gc). */
function settle(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

function median(runs: number, work: () => void): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    settle();
    const start = performance.now();
    work();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

function runCase(size: number): CaseResult {
  const nodes = makeNodes(size);
  const runs = size >= 100_000 ? 3 : 7;
  const bound: DeployRequest = { cpu: 1.3, memory: 0, bind: true, count: 0, strategy: 'AUTO', limit: 0 };
  let capacityTotal = 0;
  const capacityMs = median(runs, () => (capacityTotal = capacityOf({ pod: 'bench', policy: POLICY, nodes, request: bound }).total));

  const memoryOnly: DeployRequest = { ...bound, cpu: 0, bind: false, memory: GiB };
  const memoryOnlyMs = median(runs, () => capacityOf({ pod: 'bench', policy: POLICY, nodes, request: memoryOnly }));

  const autoInstances = AUTO_INSTANCES(size);
  const auto: DeployRequest = { ...bound, memory: GiB, count: autoInstances };
  const autoMs = median(runs, () => {
    const plan = planDeploy({ pod: 'bench', policy: POLICY, nodes, request: auto });
    if (plan.placements.length !== autoInstances) throw new Error('AUTO placed the wrong count');
  });
  // Peak memory of the case itself, before the baseline below adds its own garbage.
  const peakRssMiB = process.resourceUsage().maxRSS / 1024;

  const pieces = toPieces(bound, POLICY);
  let baselineTotal = 0;
  const baselineCapacityMs = median(Math.min(runs, 3), () => {
    baselineTotal = 0;
    for (const node of nodes) {
      const working = cloneResources(node);
      for (let plan = planInstance(working, pieces, POLICY); plan; plan = planInstance(working, pieces, POLICY)) {
        applyPlacement(working, plan, POLICY.sharebase);
        baselineTotal++;
      }
    }
  });
  if (baselineTotal !== capacityTotal) throw new Error(`capacity ${capacityTotal} differs from repeated allocation ${baselineTotal}`);

  return { nodes: size, capacityMs, capacityTotal, baselineCapacityMs, autoMs, autoInstances, memoryOnlyMs, peakRssMiB };
}

function fmt(ms: number): string {
  return ms < 10 ? ms.toFixed(2) : ms.toFixed(1);
}

function main(): void {
  const single = process.argv.indexOf('--case');
  if (single >= 0) {
    process.stdout.write(JSON.stringify(runCase(Number(process.argv[single + 1]))));
    return;
  }
  const self = fileURLToPath(import.meta.url);
  const results: CaseResult[] = [];
  for (const size of SIZES) {
    const child = spawnSync(process.execPath, ['--expose-gc', self, '--case', String(size)], { encoding: 'utf8' });
    if (child.status !== 0) throw new Error(`case ${size} failed: ${child.stderr}`);
    const result = JSON.parse(child.stdout) as CaseResult;
    results.push(result);
    console.log(
      `${String(size).padStart(7)} nodes × ${CORES} cores: capacity(1.3 bound) ${fmt(result.capacityMs)} ms ` +
        `[baseline: repeated allocation ${fmt(result.baselineCapacityMs)} ms, ×${(result.baselineCapacityMs / result.capacityMs).toFixed(1)} faster] · ` +
        `AUTO ${result.autoInstances} × (1.3 CPU, 1 GiB) ${fmt(result.autoMs)} ms · memory-only capacity ${fmt(result.memoryOnlyMs)} ms · ` +
        `peak RSS ${result.peakRssMiB.toFixed(0)} MiB`,
    );
  }
  const [small, mid, large] = results as [CaseResult, CaseResult, CaseResult];
  console.log('\ngrowth per 10× nodes (1.0 = linear):');
  for (const [label, key] of [
    ['capacity', 'capacityMs'],
    ['AUTO plan', 'autoMs'],
    ['memory-only', 'memoryOnlyMs'],
  ] as const) {
    console.log(`  ${label.padEnd(12)} 1k→10k ×${(mid[key] / small[key] / 10).toFixed(2)}   10k→100k ×${(large[key] / mid[key] / 10).toFixed(2)}`);
  }
  const check = (ok: boolean): string => (ok ? 'ok' : 'MISSED');
  console.log('\ntargets (this 2-core machine):');
  console.log(`  capacity over 10,000 nodes ≤ 50 ms: ${fmt(mid.capacityMs)} ms (${check(mid.capacityMs <= 50)}); Go rewrite's published 1.3-CPU plan over 10,000 × 24 cores: ~400 ms → ×${(400 / mid.capacityMs).toFixed(0)}`);
  console.log(`  AUTO 100,000 instances over 10,000 nodes ≤ 300 ms: ${fmt(mid.autoMs)} ms (${check(mid.autoMs <= 300)})`);
  console.log(`  peak memory of the 100,000-node case ≤ 1 GiB: ${large.peakRssMiB.toFixed(0)} MiB (${check(large.peakRssMiB <= 1024)})`);
  const linear = (key: 'capacityMs' | 'autoMs' | 'memoryOnlyMs'): boolean => large[key] / mid[key] <= 10 * 1.5;
  console.log(`  growth no worse than linear (10k→100k within 1.5× of linear): ${check(linear('capacityMs') && linear('autoMs') && linear('memoryOnlyMs'))}`);
}

main();
