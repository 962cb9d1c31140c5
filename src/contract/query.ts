import { z } from 'zod';
export { CONTINUE_HEADER } from './constants.js';

/** A yes/no query parameter: `true`/`false` or `1`/`0`. */
export const BooleanQuery = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

/** Items in one page of a long list when the caller does not say, and the most it may ask for. */
export const DEFAULT_PAGE = 5000;
export const MAX_PAGE = 10_000;

/** One page of a long list (workloads, nodes, services): at most `limit` items, after the page whose reply gave the `continue` token. */
export const PageQuerySchema = z.object({
  limit: z.union([z.number(), z.string().regex(/^\d{1,6}$/, 'a limit is a whole number')]).transform(Number).pipe(z.number().int().min(1).max(MAX_PAGE)).optional(),
  continue: z.string().regex(/^[A-Za-z0-9_-]{1,1024}$/, 'a continue token is what the page before gave in its Eru-Continue header').optional(),
});
export type PageQuery = z.infer<typeof PageQuerySchema>;

/** A page's items and the token of the next, if there is one. */
export interface Page<T> {
  items: T[];
  next?: string;
}

/** The token for the page after the key `last` (a record's name), and back. */
export const continueAfter = (last: string): string => Buffer.from(last, 'utf8').toString('base64url');
export const continuedFrom = (token: string): string => Buffer.from(token, 'base64url').toString('utf8');
