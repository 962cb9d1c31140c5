import type { NodeCreate, NodePatch } from '../../contract/nodes.js';
import type { EngineInfo } from '../../engine/docker.js';
import { conflict, invalid } from '../../lib/errors.js';
import { formatMemory } from '../../lib/units.js';
import type { Node } from '../../model/node.js';
import type { NodeResources } from '../../model/resources.js';

/** A node's declared resources: which cores and how much memory Eru may hand out, checked against its daemon. */

export function chooseCores(input: { cpu?: number; cpus?: string[] }, info: EngineInfo): string[] {
  if (input.cpu !== undefined && input.cpus !== undefined) throw invalid(['cpus'], 'give cpu (a count) or cpus (a list), not both');
  if (input.cpus) {
    const seen = new Set<string>();
    input.cpus.forEach((core, i) => {
      if (seen.has(core)) throw invalid(['cpus', i], `core ${core} is listed twice`);
      if (Number(core) >= info.cpus) throw invalid(['cpus', i], `core ${core} does not exist: the daemon reports ${info.cpus} CPUs`);
      seen.add(core);
    });
    return [...input.cpus].sort((a, b) => Number(a) - Number(b));
  }
  const count = input.cpu ?? info.cpus;
  if (count > info.cpus) throw invalid(['cpu'], `${count} cores asked, but the daemon reports ${info.cpus} CPUs`);
  if (count < 1) throw invalid(['cpu'], 'the daemon reports no CPUs; give cpus explicitly');
  return Array.from({ length: count }, (_, i) => String(i));
}

/** The cores a node schedules on once `reserved` are kept for the host: each reserved one must be a core of it, and one must be left. */
export function withoutReserved(cores: readonly string[], reserved: readonly string[], path: Array<string | number>): string[] {
  reserved.forEach((core, i) => {
    if (!cores.includes(core)) throw invalid([...path, i], `core ${core} is not one of the node's cores`);
  });
  const left = cores.filter((core) => !reserved.includes(core));
  if (left.length === 0) throw invalid(path, 'every core would be reserved: leave at least one to schedule on');
  return left;
}

/** A new set of reserved cores on a node: cores given to the host must be unused; cores given back come free. */
export function reserveCores(node: Node, ledger: NodeResources, reserved: readonly string[], sharebase: number): { node: Node; ledger: NodeResources } {
  const all = [...node.cpus, ...node.reservedCpus].sort((a, b) => Number(a) - Number(b));
  const cpus = withoutReserved(all, reserved, ['reserveCpus']);
  for (const core of reserved) {
    if (node.cpus.includes(core) && ((ledger.cpus[core] ?? sharebase) < sharebase || ledger.shared[core] !== undefined)) {
      throw conflict(`core ${core} of node ${node.name} is in use and cannot be reserved`);
    }
  }
  const free = Object.fromEntries(cpus.map((core) => [core, ledger.cpus[core] ?? sharebase]));
  return { node: { ...node, cpus, reservedCpus: [...reserved].sort((a, b) => Number(a) - Number(b)) }, ledger: { ...ledger, cpus: free } };
}

export function chooseMemory(memory: number | undefined, info: EngineInfo): number {
  if (memory === undefined) return info.memory;
  if (memory > info.memory) {
    throw invalid(['memory'], `${formatMemory(memory)} asked, but the daemon reports ${formatMemory(info.memory)}`);
  }
  return memory;
}

export function validateNuma(input: NodeCreate, cpus: string[], memory: number): void {
  const owner = new Map<string, string>();
  for (const [numa, cores] of Object.entries(input.numa ?? {})) {
    cores.forEach((core, i) => {
      if (!cpus.includes(core)) throw invalid(['numa', numa, i], `core ${core} is not one of the node's cores`);
      const other = owner.get(core);
      if (other !== undefined) throw invalid(['numa', numa, i], `core ${core} is already in NUMA node ${other}`);
      owner.set(core, numa);
    });
  }
  let total = 0;
  for (const [numa, bytes] of Object.entries(input.numaMemory ?? {})) {
    if (!input.numa?.[numa]) throw invalid(['numaMemory', numa], `NUMA node ${numa} is not in numa`);
    total += bytes;
  }
  if (total > memory) throw invalid(['numaMemory'], `NUMA memory adds up to ${formatMemory(total)}, more than the node's ${formatMemory(memory)}`);
}

/** What workloads hold on a node: pieces taken from its cores and the shared pool, and memory. */
export function usage(node: Node, ledger: NodeResources, sharebase: number): { pieces: number; memory: number } {
  let free = 0;
  for (const core of node.cpus) free += ledger.cpus[core] ?? 0;
  return { pieces: node.cpus.length * sharebase - free + ledger.unboundPieces, memory: node.memory - (ledger.memory ?? node.memory) };
}

/** New declared resources for a node, keeping everything workloads hold. */
export function resize(node: Node, ledger: NodeResources, patch: NodePatch, sharebase: number): { node: Node; ledger: NodeResources } {
  if (patch.cpu !== undefined && patch.cpus !== undefined) throw invalid(['cpus'], 'give cpu (a count) or cpus (a list), not both');
  const cores = patch.cpus
    ? [...new Set(patch.cpus)].sort((a, b) => Number(a) - Number(b))
    : patch.cpu !== undefined
      ? Array.from({ length: patch.cpu }, (_, i) => String(i))
      : node.cpus;
  for (const core of cores) {
    if (Number(core) >= node.engine.cpus) {
      throw invalid([patch.cpus ? 'cpus' : 'cpu'], `core ${core} does not exist: the daemon reports ${node.engine.cpus} CPUs`);
    }
  }
  for (const core of node.cpus) {
    if (!cores.includes(core) && (ledger.cpus[core] ?? sharebase) < sharebase) {
      throw conflict(`core ${core} of node ${node.name} is in use and cannot be taken away`);
    }
  }
  const memory = patch.memory ?? node.memory;
  const used = node.memory - (ledger.memory ?? node.memory);
  if (memory < used) throw conflict(`node ${node.name} has ${formatMemory(used)} in use; cannot shrink its memory to ${formatMemory(memory)}`);
  if (memory > node.engine.memory) {
    throw invalid(['memory'], `${formatMemory(memory)} asked, but the daemon reports ${formatMemory(node.engine.memory)}`);
  }
  const cpus = Object.fromEntries(cores.map((core) => [core, ledger.cpus[core] ?? sharebase]));
  return {
    node: { ...node, cpus: cores, memory },
    ledger: { ...ledger, cpus, memory: memory - used, memoryTotal: memory },
  };
}

