import { z } from 'zod';
import { EruError, invalid, type ErrorPath } from './errors.js';
import { parseMemory } from './units.js';

/**
 * Parses `data` with a zod schema; the first problem becomes an EruError naming the field's path
 * (under `prefix`), so that the API and the CLI report bad input the same way.
 */
export function parseWith<S extends z.ZodType>(schema: S, data: unknown, prefix: ErrorPath = []): z.output<S> {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const path = [...prefix, ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))];
  throw invalid(path, issue.message);
}

/** A memory size as a number of bytes or a string such as `512MiB`. */
export const MemorySizeSchema = z.union([z.number(), z.string()]).transform((value, ctx) => {
  try {
    return parseMemory(value, []);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: error instanceof EruError ? error.message : String(error) });
    return z.NEVER;
  }
});
