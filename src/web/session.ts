import { EruClient } from 'eru-client';

/**
 * The signed-in token lives in this tab's session storage only: sent as the bearer header, never
 * put in a URL or a cookie, gone when the tab closes.
 */
const KEY = 'eru.token';

export function savedToken(): string | null {
  return sessionStorage.getItem(KEY);
}

export function saveToken(token: string): void {
  sessionStorage.setItem(KEY, token);
}

export function forgetToken(): void {
  sessionStorage.removeItem(KEY);
}

export function clientFor(token: string): EruClient {
  return new EruClient({ url: location.origin, token });
}

/** Whether the core takes this token for the dashboard, and if not, why, in words for the sign-in page. */
export async function checkToken(token: string): Promise<{ ok: true } | { ok: false; message: string }> {
  let status: number;
  try {
    status = (await clientFor(token).call('GET', '/v1/pods')).status;
  } catch (error) {
    return { ok: false, message: `Cannot reach the core: ${(error as Error).message}` };
  }
  if (status === 200) return { ok: true };
  if (status === 401) return { ok: false, message: 'The core refused this token. Check it (eru core --token, or ~/.eru/config.json) and sign in again.' };
  if (status === 403) return { ok: false, message: "This is a node token: it speaks for one node's agent and can see nothing here. Sign in with the core's admin token." };
  return { ok: false, message: `The core answered ${status}.` };
}
