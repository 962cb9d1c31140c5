import { z } from 'zod';
import { DnsLabelSchema } from '../model/names.js';
import { SCOPES, TokenNameSchema, TokenSchema } from '../model/token.js';

/** Tokens on the wire: `POST /v1/tokens`, `GET /v1/tokens`, `DELETE /v1/tokens/{name}`. */

const Duration = z.string().regex(/^\d+(s|m|h|d)$/, 'a duration such as 30d, 12h, 90m');

export const TokenCreateSchema = z
  .object({
    name: TokenNameSchema,
    scope: z.enum(SCOPES).exclude(['node']),
    /** For a deployer: the apps it may change (at least one). */
    apps: z.array(DnsLabelSchema).max(256).default([]),
    /** Expires after this long (30d, 12h); never when left out. */
    expires: Duration.optional(),
  })
  .strict()
  .refine((t) => t.scope !== 'deployer' || t.apps.length > 0, { message: 'a deployer token names its apps', path: ['apps'] })
  .refine((t) => t.scope === 'deployer' || t.apps.length === 0, { message: 'only a deployer token has apps', path: ['apps'] });
export type TokenCreate = z.infer<typeof TokenCreateSchema>;

/** A node's agent token: `POST /v1/nodes/{node}/tokens`. */
export const NodeTokenCreateSchema = z.object({ expires: Duration.optional() }).strict();

/** A token as listed: never the secret (only its hash is kept). */
export const TokenViewSchema = TokenSchema;
export type TokenView = z.infer<typeof TokenViewSchema>;

/** A token just made: the secret, shown once. */
export const IssuedTokenSchema = TokenSchema.extend({ token: z.string() });
export type IssuedToken = z.infer<typeof IssuedTokenSchema>;

export const TokenNameParamsSchema = z.object({ name: TokenNameSchema });
