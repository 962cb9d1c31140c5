/**
 * `eru/client`: what a team imports to call Eru and watch its events ("whoever cares, does it").
 *
 *   import { EruClient } from 'eru/client';
 *   const eru = new EruClient({ url: 'http://127.0.0.1:5001', token: process.env.ERU_TOKEN });
 *   for await (const event of eru.events({ app: 'hello', type: 'workload.status' })) { ... }
 */
export { EruClient, type ResultOf } from './client.js';
export { nodeTransport } from './node-transport.js';
export { fetchTransport, type Transport } from './transport.js';
export { EruError, ErrorCode } from '../lib/errors.js';
export type { BaseImageEvent, BuildEvent, DeployEvent, EruEvent, EventFilter, ImageCacheEvent, OutputLine } from '../contract/events.js';
export type { NodeView } from '../contract/nodes.js';
export type { DeployBody, JobBody, WorkloadInspect } from '../contract/workloads.js';
export type { Pod } from '../model/pod.js';
export type { Intent } from '../model/intent.js';
export type { Workload } from '../model/workload.js';
