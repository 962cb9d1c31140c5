import type { DeployEvent } from '../src/contract/events.js';
import type { CoreProcess } from './core.js';

/** Deploys through the API and reads the NDJSON stream to its result; a 4xx comes back as `refused`. */
export function deployViaApi(core: CoreProcess, body: Record<string, unknown>): Promise<{ status: number; events: DeployEvent[]; refused?: { code: string; message: string } }> {
  return core.client.collect<DeployEvent>('POST', '/v1/workloads', body);
}

export function resultOf(events: DeployEvent[]): Extract<DeployEvent, { type: 'result' }> | undefined {
  return events.find((e): e is Extract<DeployEvent, { type: 'result' }> => e.type === 'result');
}
