/**
 * `eru-client/node`: the client's parts that need Node's own HTTP (not fetch): HTTPS against a private
 * CA or with a client certificate, an exec's attached streams, a copy's tar stream.
 */
export { nodeTransport, tlsOptions } from './node-transport.js';
export * from './node-exec.js';
export * from './node-archive.js';
export * from './node-bundle.js';
export { openRequest, refusalOf, unreachable, type Core } from './node-request.js';
