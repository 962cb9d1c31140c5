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
