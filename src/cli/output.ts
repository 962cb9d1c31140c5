import { EruError, ErrorCode } from '../lib/errors.js';

/** How the CLI talks to people (tables, one-line errors) and to scripts (`--json`). */

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** A plain aligned table; the first row is the header. */
export function formatTable(rows: ReadonlyArray<ReadonlyArray<string | number>>): string {
  const cells = rows.map((row) => row.map(String));
  const widths: number[] = [];
  for (const row of cells) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return cells.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')).join('\n');
}

export function printTable(rows: ReadonlyArray<ReadonlyArray<string | number>>): void {
  process.stdout.write(`${formatTable(rows)}\n`);
}

/** Exit codes: 1 bad input or a failed call, 2 a request that cannot be placed. */
export const EXIT_INVALID = 1;
export const EXIT_UNPLACEABLE = 2;

export function reportError(error: unknown): number {
  if (error instanceof EruError && error.code === ErrorCode.INSUFFICIENT_CAPACITY) {
    process.stderr.write(`eru: ${error.message}\n`);
    const nodes = (error.details as { nodes?: Record<string, string> } | undefined)?.nodes ?? {};
    for (const [node, reason] of Object.entries(nodes)) process.stderr.write(`  ${node}: ${reason}\n`);
    return EXIT_UNPLACEABLE;
  }
  if (error instanceof EruError) {
    process.stderr.write(`eru: ${error.message}\n`);
    return EXIT_INVALID;
  }
  process.stderr.write(`eru: ${error instanceof Error ? error.message : String(error)}\n`);
  return EXIT_INVALID;
}

/** Wraps a command's action: errors become a one-line reason and a non-zero exit. */
export function action<A extends unknown[]>(run: (...args: A) => Promise<void> | void): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await run(...args);
    } catch (error) {
      process.exitCode = reportError(error);
    }
  };
}
