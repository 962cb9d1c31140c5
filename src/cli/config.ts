import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Where a client finds its core: what it is given, else ERU_URL / ERU_TOKEN / ERU_CA /
 * ERU_CLIENT_CERT / ERU_CLIENT_KEY, else the file
 * the set-up script writes (~/.eru/config.json), else the default local core.
 */
export const DEFAULT_URL = 'http://127.0.0.1:5001';

export interface ClientConfig {
  url?: string;
  token?: string;
  /** A file of PEM certificates to trust for an https:// core (its CA), besides the system's. */
  ca?: string;
  /** Files of a client certificate and its key, for a core that asks for one. */
  cert?: string;
  key?: string;
  /** The pod commands use when none is named. */
  pod?: string;
}

export function eruHome(): string {
  return process.env.ERU_HOME ?? join(homedir(), '.eru');
}

export function savedConfig(): ClientConfig {
  try {
    return JSON.parse(readFileSync(join(eruHome(), 'config.json'), 'utf8')) as ClientConfig;
  } catch {
    return {};
  }
}

/** The URL, token and CA file to use, by the order above. */
export function resolveConfig(given: ClientConfig = {}): { url: string; token?: string; ca?: string; cert?: string; key?: string; pod?: string } {
  const saved = savedConfig();
  const token = given.token ?? process.env.ERU_TOKEN ?? saved.token;
  const ca = given.ca ?? process.env.ERU_CA ?? saved.ca;
  const cert = given.cert ?? process.env.ERU_CLIENT_CERT ?? saved.cert;
  const key = given.key ?? process.env.ERU_CLIENT_KEY ?? saved.key;
  const pod = given.pod ?? process.env.ERU_POD ?? saved.pod;
  return {
    url: (given.url ?? process.env.ERU_URL ?? saved.url ?? DEFAULT_URL).replace(/\/+$/, ''),
    ...(token ? { token } : {}),
    ...(ca ? { ca } : {}),
    ...(cert ? { cert } : {}),
    ...(key ? { key } : {}),
    ...(pod ? { pod } : {}),
  };
}
