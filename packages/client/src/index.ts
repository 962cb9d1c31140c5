/**
 * `eru-client`: what a team imports to call Eru and watch its events ("whoever cares, does it").
 * It runs anywhere fetch does (Node ≥ 20, a browser); `eru-client/node` adds what needs Node's own
 * sockets: HTTPS with a private CA or a client certificate, exec and copy.
 *
 *   import { EruClient } from 'eru-client';
 *   const eru = new EruClient({ url: 'http://127.0.0.1:5001', token: process.env.ERU_TOKEN });
 *   for await (const event of eru.events({ app: 'hello', type: 'workload.status' })) { ... }
 */
export { EruClient, type ResultOf } from './client.js';
export { explainTransportFailure, fetchTransport, readText, TransportError, type ClientTls, type Transport, type TransportResponse } from './transport.js';
export { EruError, ErrorCode, pathText, type ErrorPath, type EruErrorOptions } from './errors.js';
export { LineBuffer, MAX_LINE, ndjson } from './lines.js';
export { CONTINUE_HEADER, EVENTS_FROM_HEADER, EXEC_UPGRADE } from './protocol.js';
export type * from './wire.js';
