import { z } from 'zod';
import { DnsLabelSchema, NodeNameSchema } from './names.js';

/**
 * Who may do what (DESIGN.md, auth): bearer tokens with a scope.
 * - `admin`: everything, root on every node;
 * - `viewer`: reads only (the dashboard): nothing changes, no env value is shown;
 * - `deployer`: what a viewer may, and for its apps only: register versions, build, deploy, run jobs,
 *   scale, replace, resize, remove and control their workloads, set their env — never host paths
 *   (`volumes`), a `user`, the host's network, a 0.0.0.0 publish or added capabilities;
 * - `node`: an agent, reporting for its own node only.
 * Only a token's sha256 is kept; a token may expire.
 */
export const SCOPES = ['admin', 'viewer', 'deployer', 'node'] as const;
export type Scope = (typeof SCOPES)[number];

export const TokenNameSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/, 'a token name is lowercase letters, digits, dots and inner dashes');

export const TokenSchema = z.object({
  name: TokenNameSchema,
  scope: z.enum(SCOPES),
  /** A deployer's apps. */
  apps: z.array(DnsLabelSchema).default([]),
  /** A node token's node. */
  node: NodeNameSchema.optional(),
  createdAt: z.string(),
  expiresAt: z.string().optional(),
});
export type Token = z.infer<typeof TokenSchema>;

/** A node token as older cores kept it (`{node, createdAt}`), as a token record of today. */
export function upgradeToken(raw: unknown): unknown {
  if (raw === null || typeof raw !== 'object' || 'scope' in raw || !('node' in raw)) return raw;
  const old = raw as { node: string; createdAt: string };
  return { name: `node.${old.node}.${Date.parse(old.createdAt).toString(36)}`, scope: 'node', apps: [], node: old.node, createdAt: old.createdAt };
}

/** Who a request is: the token's name, and what its scope lets it do. */
export type Principal =
  | { name: string; scope: 'admin' }
  | { name: string; scope: 'viewer' }
  | { name: string; scope: 'deployer'; apps: readonly string[] }
  | { name: string; scope: 'node'; node: string };
