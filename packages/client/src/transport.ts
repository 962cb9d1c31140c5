/**
 * How the client's requests travel. The default is `fetch` (a browser, Node, any runtime that has it);
 * Node programs that start often (the CLI) use `nodeTransport` from `./node-transport.ts`, which
 * loads far less than Node's fetch does.
 */
/** What a Node client trusts and shows over HTTPS: the core's CA, and a client certificate for a core that asks for one (PEM). */
export interface ClientTls {
  ca?: string | undefined;
  cert?: string | undefined;
  key?: string | undefined;
}

export interface TransportRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
  /** Ends the request (and a stream being read) when aborted. */
  signal?: AbortSignal;
}

export interface TransportResponse {
  status: number;
  /** A header of the answer, by its lower-case name. */
  header?: (name: string) => string | undefined;
  /** The body as it arrives, chunk by chunk. */
  body: AsyncIterable<Uint8Array>;
}

export type Transport = (request: TransportRequest) => Promise<TransportResponse>;

/** A network failure before any answer: what it was (ECONNREFUSED…), for the message. */
export class TransportError extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

export const fetchTransport: Transport = async ({ method, url, headers, body, signal }) => {
  let response: Response;
  try {
    response = await fetch(url, { method, headers, ...(body !== undefined ? { body } : {}), ...(signal ? { signal } : {}) });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new TransportError(cause?.code ?? cause?.message ?? (error as Error).message);
  }
  return { status: response.status, header: (name) => response.headers.get(name) ?? undefined, body: response.body ? (response.body as unknown as AsyncIterable<Uint8Array>) : emptyBody() };
};

async function* emptyBody(): AsyncGenerator<Uint8Array> {
  // no body
}

/** The whole body as text. */
export async function readText(body: AsyncIterable<Uint8Array>): Promise<string> {
  const decoder = new TextDecoder();
  let text = '';
  for await (const chunk of body) text += decoder.decode(chunk, { stream: true });
  return text + decoder.decode();
}

/** Certificate failures as Node and browsers name them. */
const UNTRUSTED = /^(UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT(_LOCALLY)?|SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|CERT_UNTRUSTED|CERT_SIGNATURE_FAILURE)$/;

/**
 * A transport failure (a code such as ECONNREFUSED) in words that say what to do about it. `url` and
 * `tls` tell a reset apart: over http:// it is most likely a core serving HTTPS; over https:// without a
 * client certificate, a core that asks for one (TLS 1.3 refuses it after the handshake, so the alert
 * often arrives as a plain reset).
 */
export function explainTransportFailure(reason: string, url = '', tls: ClientTls = {}): string {
  if (UNTRUSTED.test(reason)) return `its TLS certificate is not signed by a CA this client trusts (${reason}); give the core's CA with --ca FILE, ERU_CA or "ca" in ~/.eru/config.json`;
  if (reason === 'ERR_TLS_CERT_ALTNAME_INVALID') return `its TLS certificate is not for this host name (${reason}); use the name or address the certificate was made for`;
  if (/CERTIFICATE_REQUIRED|ALERT_BAD_CERTIFICATE|ALERT_UNKNOWN_CA|ALERT_CERTIFICATE_UNKNOWN/.test(reason)) {
    return `the core asks for a client certificate signed by its client CA and did not take this client's (${reason}); give one with --client-cert FILE --client-key FILE (or ERU_CLIENT_CERT, ERU_CLIENT_KEY)`;
  }
  if (reason === 'CERT_HAS_EXPIRED') return `its TLS certificate has expired (${reason})`;
  if (reason === 'ECONNRESET' || reason === 'EPROTO') {
    if (!url.startsWith('https:')) return `the connection was cut (${reason}): a core serving HTTPS is reached with https://`;
    if (!tls.cert) return `the connection was cut (${reason}); a core that asks for a client certificate signed by its client CA cuts a client without one: give one with --client-cert FILE --client-key FILE (or ERU_CLIENT_CERT, ERU_CLIENT_KEY)`;
    return `the connection was cut (${reason}); a core that asks for client certificates did not take this client's if its client CA did not sign it`;
  }
  return reason;
}
