import type { EruClient } from 'eru-client';
import type { EruEvent } from '../contract/events.js';

export type LiveState = 'connecting' | 'live' | 'lost';

/** Timings the browser benchmark and tests read (window.__eru). */
export interface PagePerf {
  /** performance.now() when the last bus event arrived. */
  lastEventAt: number;
  /** Milliseconds from the last event's arrival to the paint of the page that changed for it. */
  lastEventToPaint: number;
  /** performance.now() when the pod map first painted. */
  mapPaintedAt: number;
}

declare global {
  interface Window {
    __eru: PagePerf;
  }
}
window.__eru = { lastEventAt: 0, lastEventToPaint: -1, mapPaintedAt: -1 };

/**
 * One stream of the bus for the whole page (`GET /v1/events`, NDJSON over fetch with the bearer
 * header), shared by every view: each subscribes to what it shows and updates in place. It follows
 * again after a break, and says whether it is live.
 */
export class Live {
  private readonly listeners = new Set<(event: EruEvent) => void>();
  private readonly stateListeners = new Set<(state: LiveState) => void>();
  private controller: AbortController | undefined;
  state: LiveState = 'connecting';

  constructor(private readonly client: EruClient) {}

  start(): void {
    void this.follow();
  }

  stop(): void {
    this.controller?.abort();
    this.controller = undefined;
  }

  subscribe(listener: (event: EruEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onState(listener: (state: LiveState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  private setState(state: LiveState): void {
    this.state = state;
    for (const listener of this.stateListeners) listener(state);
  }

  private async follow(): Promise<void> {
    let wait = 500;
    for (;;) {
      const controller = new AbortController();
      this.controller = controller;
      try {
        // The client takes a cut stream up again itself (on another core, from the last event); the page says so meanwhile.
        for await (const event of this.client.events({}, () => this.setState('live'), controller.signal, { onCut: () => this.setState('lost') })) {
          window.__eru.lastEventAt = performance.now();
          wait = 500;
          for (const listener of this.listeners) listener(event);
        }
      } catch {
        // the core went away or the stream broke: follow again below
      }
      if (controller.signal.aborted || this.controller !== controller) return;
      this.setState('lost');
      await new Promise((resolve) => setTimeout(resolve, wait));
      wait = Math.min(wait * 2, 5000);
    }
  }
}

/** Marks when the page has painted what the last event changed (after the commit, at the next frame). */
export function markPainted(): void {
  const since = window.__eru.lastEventAt;
  requestAnimationFrame(() => {
    if (since > 0) window.__eru.lastEventToPaint = performance.now() - since;
  });
}
