import { invalid } from './errors.js';

/** `HOST:PORT` (IPv6 in brackets allowed) as a listen address; `flag` names the option in errors. */
export function parseHostPort(address: string, flag: string): [string, number] {
  const match = /^(.+):(\d{1,5})$/.exec(address);
  const port = Number(match?.[2]);
  if (!match || port > 65535) throw invalid([flag], `cannot read "${address}" (HOST:PORT, e.g. 127.0.0.1:5001)`);
  return [match[1]!.replace(/^\[|\]$/g, ''), port];
}
