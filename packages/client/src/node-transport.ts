import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { TransportError, type ClientTls, type Transport } from './transport.js';

/**
 * Requests through Node's own http module: what the CLI and the agent use, since it starts in a
 * fraction of fetch's time and takes TLS settings (the CA to trust for an https:// core, else the
 * system's; a client certificate for a core that asks for one).
 */
export function nodeTransport(tls: ClientTls = {}): Transport {
  return ({ method, url, headers, body, signal }) =>
    new Promise((resolve, reject) => {
      const target = new URL(url);
      const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
      const options = {
        method,
        ...(signal ? { signal } : {}),
        ...(target.protocol === 'https:' ? tlsOptions(tls) : {}),
        headers: { ...headers, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) },
      };
      const request = send(target, options, (response) =>
        resolve({
          status: response.statusCode ?? 0,
          header: (name) => {
            const value = response.headers[name];
            return Array.isArray(value) ? value[0] : value;
          },
          body: response,
        }),
      );
      request.on('error', (error: NodeJS.ErrnoException) => reject(new TransportError(error.code ?? error.message)));
      request.end(body);
    });
}

/** Node's https options for a client's TLS settings. */
export function tlsOptions(tls: ClientTls): { ca?: string; cert?: string; key?: string } {
  return { ...(tls.ca ? { ca: tls.ca } : {}), ...(tls.cert && tls.key ? { cert: tls.cert, key: tls.key } : {}) };
}
