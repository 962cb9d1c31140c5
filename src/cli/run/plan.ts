import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { EruError, ErrorCode } from '../../lib/errors.js';
import { formatMemory } from '../../lib/units.js';
import type { Placement } from '../../model/resources.js';
import { planDeploy, type PlanResult } from '../../scheduler/plan.js';
import { scenarioToPlanInput } from '../../scheduler/scenario.js';
import { printJson, printTable } from '../output.js';

/** `eru plan`, loaded on demand: the scheduler run on a scenario file. */
export async function runPlan(file: string, json: boolean): Promise<void> {
  const text = await readScenario(file);
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (error) {
    throw new EruError(ErrorCode.INVALID_ARGUMENT, `${file}: not valid YAML or JSON: ${(error as Error).message.split('\n')[0]}`);
  }
  const result = planDeploy(scenarioToPlanInput(data));
  if (json) printJson(planJson(result));
  else printPlan(result);
}

async function readScenario(file: string): Promise<string> {
  try {
    if (file === '-') {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    }
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new EruError(ErrorCode.INVALID_ARGUMENT, `cannot read scenario ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/** The documented JSON shape: capacity per node, then each placement's node, cpuset and memory. */
export function planJson(result: PlanResult): {
  capacity: { total: number; nodes: Record<string, number> };
  placements: Array<Pick<Placement, 'node' | 'cpuset' | 'memory' | 'numa'>>;
  alreadyDone?: string;
  leftOut?: Record<string, string>;
} {
  return {
    ...(result.alreadyDone !== undefined ? { alreadyDone: result.alreadyDone } : {}),
    ...(result.leftOut ? { leftOut: result.leftOut } : {}),
    capacity: {
      total: result.capacity.total,
      nodes: Object.fromEntries(result.capacity.nodes.map((fit) => [fit.node, fit.capacity])),
    },
    placements: result.placements.map((p) => ({
      node: p.node,
      ...(p.cpuset ? { cpuset: p.cpuset } : {}),
      memory: p.memory,
      ...(p.numa !== undefined ? { numa: p.numa } : {}),
    })),
  };
}

function printPlan(result: PlanResult): void {
  printTable([
    ['NODE', 'CAPACITY', 'LIMITED BY'],
    ...result.capacity.nodes.map((fit) => [fit.node, fit.capacity, fit.reason ?? '']),
    ['total', result.capacity.total, ''],
  ]);
  if (result.alreadyDone !== undefined) process.stdout.write(`\nnothing to place: ${result.alreadyDone}\n`);
  for (const [node, reason] of Object.entries(result.leftOut ?? {})) process.stdout.write(`left out ${node}: ${reason}\n`);
  if (result.placements.length === 0) return;
  process.stdout.write('\n');
  printTable([
    ['#', 'NODE', 'CPUSET (core:pieces)', 'MEMORY', 'NUMA'],
    ...result.placements.map((p, i) => [
      i + 1,
      p.node,
      p.cpuset ? Object.entries(p.cpuset).map(([core, pieces]) => `${core}:${pieces}`).join(',') : `unbound (${p.pieces} pieces)`,
      p.memory > 0 ? formatMemory(p.memory) : '-',
      p.numa ?? '-',
    ]),
  ]);
}
