import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { TransportError, type Transport } from './transport.js';

/**
 * Requests through Node's own http module: what the CLI and the agent use, since it starts in a
 * fraction of fetch's time and takes a CA (`ca`: PEM certificates to trust for an https:// core,
 * else the system's).
 */
export function nodeTransport(tls: { ca?: string | undefined } = {}): Transport {
  return ({ method, url, headers, body, signal }) =>
    new Promise((resolve, reject) => {
      const target = new URL(url);
      const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
      const options = {
        method,
        ...(signal ? { signal } : {}),
        ...(tls.ca && target.protocol === 'https:' ? { ca: tls.ca } : {}),
        headers: { ...headers, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) },
      };
      const request = send(target, options, (response) => resolve({ status: response.statusCode ?? 0, body: response }));
      request.on('error', (error: NodeJS.ErrnoException) => reject(new TransportError(error.code ?? error.message)));
      request.end(body);
    });
}
