/**
 * How the client's requests travel. The default is `fetch` (a browser, Node, any runtime that has it);
 * Node programs that start often (the CLI) use `nodeTransport` from `./node-transport.ts`, which
 * loads far less than Node's fetch does.
 */
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
  return { status: response.status, body: response.body ? (response.body as unknown as AsyncIterable<Uint8Array>) : emptyBody() };
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

/** A transport failure (a code such as ECONNREFUSED) in words that say what to do about it. */
export function explainTransportFailure(reason: string): string {
  if (UNTRUSTED.test(reason)) return `its TLS certificate is not signed by a CA this client trusts (${reason}); give the core's CA with --ca FILE, ERU_CA or "ca" in ~/.eru/config.json`;
  if (reason === 'ERR_TLS_CERT_ALTNAME_INVALID') return `its TLS certificate is not for this host name (${reason}); use the name or address the certificate was made for`;
  if (reason === 'CERT_HAS_EXPIRED') return `its TLS certificate has expired (${reason})`;
  if (reason === 'ECONNRESET' || reason === 'EPROTO') return `the connection was cut (${reason}): a core serving HTTPS is reached with https://, and one that asks for client certificates refuses a client without one`;
  return reason;
}
