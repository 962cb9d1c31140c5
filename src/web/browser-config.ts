// In the browser the client has no ~/.eru/config.json nor environment: the page gives it the core's
// URL (its own origin) and the token it signed in with. scripts/build-web.mjs puts this module in
// place of client/config.ts for the dashboard's bundle.

export const DEFAULT_URL = '';

export interface ClientConfig {
  url?: string;
  token?: string;
  pod?: string;
}

export function resolveConfig(given: ClientConfig = {}): { url: string; token?: string; pod?: string } {
  return {
    url: (given.url ?? location.origin).replace(/\/+$/, ''),
    ...(given.token ? { token: given.token } : {}),
    ...(given.pod ? { pod: given.pod } : {}),
  };
}
