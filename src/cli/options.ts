import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { invalid } from '../lib/errors.js';
import { EruClient } from 'eru-client';
import { resolveConfig } from './config.js';
import { nodeTransport } from 'eru-client/node';
import type { ClientTls } from 'eru-client';

/** Options every client command shares, read through commander's globals. */
export interface GlobalOptions {
  url?: string;
  token?: string;
  ca?: string;
  clientCert?: string;
  clientKey?: string;
  json?: boolean;
}

export function globals(command: Command): GlobalOptions {
  return command.optsWithGlobals<GlobalOptions>();
}

export function clientOf(command: Command): EruClient {
  const { url, token, ca, clientCert, clientKey } = globals(command);
  const config = resolveConfig({ ...(url ? { url } : {}), ...(token ? { token } : {}), ...(ca ? { ca } : {}), ...(clientCert ? { cert: clientCert } : {}), ...(clientKey ? { key: clientKey } : {}) });
  const tls = tlsOf(config);
  return new EruClient({ url: config.url, ...(config.token ? { token: config.token } : {}), tls, transport: nodeTransport(tls) });
}

/** The CA and client certificate files of a client's config, read. */
export function tlsOf(config: { ca?: string; cert?: string; key?: string }): ClientTls {
  if (Boolean(config.cert) !== Boolean(config.key)) throw invalid([config.cert ? 'client-key' : 'client-cert'], 'a client certificate needs its key (--client-cert with --client-key)');
  return {
    ...(config.ca ? { ca: readTextFile('ca', config.ca) } : {}),
    ...(config.cert && config.key ? { cert: readTextFile('client-cert', config.cert), key: readTextFile('client-key', config.key) } : {}),
  };
}

/** The pod a command uses when none is named: the client config's (`pod` in ~/.eru/config.json, or ERU_POD), else the only pod. */
export async function defaultPod(command: Command): Promise<string> {
  const configured = resolveConfig().pod;
  if (configured) return configured;
  const pods = await clientOf(command).pods.list();
  if (pods.length === 1) return pods[0]!.name;
  throw invalid(['pod'], pods.length === 0 ? 'there is no pod yet: eru pod add NAME' : `name the pod: --pod (one of ${pods.map((p) => p.name).join(', ')})`);
}

export function wholeNumber(flag: string): (value: string) => number {
  return (value) => {
    if (!/^-?\d+$/.test(value)) throw invalid([flag], `"${value}" is not a whole number`);
    return Number(value);
  };
}

/** Repeated `--label k=v`: collected into a map. */
export function keyValue(flag: string): (value: string, previous: Record<string, string> | undefined) => Record<string, string> {
  return (value, previous) => {
    const eq = value.indexOf('=');
    if (eq <= 0) throw invalid([flag], `"${value}" is not KEY=VALUE`);
    return { ...previous, [value.slice(0, eq)]: value.slice(eq + 1) };
  };
}

export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** `0,2,4-7` → ["0","2","4","5","6","7"]. */
export function coreList(flag: string): (value: string) => string[] {
  return (value) =>
    value.split(',').flatMap((part) => {
      const range = /^(\d+)-(\d+)$/.exec(part.trim());
      if (range) {
        const [from, to] = [Number(range[1]), Number(range[2])];
        if (from > to) throw invalid([flag], `range ${part} goes backwards`);
        return Array.from({ length: to - from + 1 }, (_, i) => String(from + i));
      }
      if (!/^\d+$/.test(part.trim())) throw invalid([flag], `"${part}" is not a core id or a range like 4-7`);
      return [String(Number(part.trim()))];
    });
}

export function readTextFile(flag: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw invalid([flag], `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/** `30`, `30s`, `5m`, `1h` → seconds. */
export function seconds(flag: string): (value: string) => number {
  return (value) => {
    const match = /^(\d+(?:\.\d+)?)(s|m|h)?$/.exec(value.trim());
    if (!match) throw invalid([flag], `"${value}" is not a duration (e.g. 30s, 5m)`);
    return Number(match[1]) * { s: 1, m: 60, h: 3600 }[(match[2] ?? 's') as 's' | 'm' | 'h'];
  };
}
