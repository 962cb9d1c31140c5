import type { WorkloadState } from '../../contract/states.js';

const SYMBOL: Record<WorkloadState, string> = { creating: '+', running: '●', healthy: '✔', unhealthy: '✕', starting: '…', exited: '✕', removing: '−', unknown: '?' };

/** A workload's state as a word with a symbol: read without colour too. */
export function State({ state, detail }: { state: WorkloadState; detail?: string }) {
  return (
    <span class={`state state-${state}`} data-state={state} title={detail ?? ''}>
      {SYMBOL[state]} {state}
      {detail ? ` ${detail}` : ''}
    </span>
  );
}
