import type { DeployEvent } from '../../src/core/model/workload.js';
import { TEST_TOKEN, type CoreProcess } from './core.js';

/** Deploys through the API and reads the NDJSON stream to its result; a 4xx comes back as `refused`. */
export async function deployViaApi(
  core: CoreProcess,
  body: Record<string, unknown>,
): Promise<{ status: number; events: DeployEvent[]; refused?: { code: string; message: string } }> {
  const response = await fetch(`${core.url}/v1/workloads`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) return { status: response.status, events: [], refused: JSON.parse(text) as { code: string; message: string } };
  return { status: response.status, events: text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as DeployEvent) };
}

export function resultOf(events: DeployEvent[]): Extract<DeployEvent, { type: 'result' }> | undefined {
  return events.find((e): e is Extract<DeployEvent, { type: 'result' }> => e.type === 'result');
}
