import { z } from 'zod';

/** A yes/no query parameter: `true`/`false` or `1`/`0`. */
export const BooleanQuery = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
