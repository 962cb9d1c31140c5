import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { EruClient } from 'eru-client';
import type { EruEvent } from '../contract/events.js';
import type { Live } from './live.js';

/** What every page gets: the API client and the shared live stream of the bus. */
export interface PageProps {
  client: EruClient;
  live: Live;
}

export interface Loaded<T> {
  data: T | undefined;
  /** performance.now() when the request behind `data` was sent: events after it may not be in it. */
  requestedAt: number;
  error: string | null;
  /** Replaces the data in place (an event patched it). */
  setData: (update: (current: T) => T) => void;
}

/**
 * Loads what a page shows, and loads it again when an event says it changed (`stale`, a little
 * later, so a burst of events is one reload) or every `everyMs` (figures that change without events).
 */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[], options: { live?: Live; stale?: (event: EruEvent) => boolean; everyMs?: number | ((data: T | undefined) => number) } = {}): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [requestedAt, setRequestedAt] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const generation = useRef(0);
  const latest = useRef<T | undefined>(undefined);
  latest.current = data;
  const run = useCallback(() => {
    const mine = ++generation.current;
    const sentAt = performance.now();
    load().then(
      (value) => {
        if (mine !== generation.current) return;
        setData(value);
        setRequestedAt(sentAt);
        setError(null);
      },
      (failure: Error) => mine === generation.current && setError(failure.message),
    );
  }, deps);
  useEffect(() => {
    setData(undefined);
    run();
  }, [run]);
  useEffect(() => {
    const { live, stale, everyMs } = options;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const off = live && stale ? live.subscribe((event) => {
      if (!stale(event) || timer) return;
      timer = setTimeout(() => {
        timer = undefined;
        run();
      }, 250);
    }) : undefined;
    // Figures that change without events (measured use): again after a while, not while hidden.
    let every: ReturnType<typeof setTimeout> | undefined;
    const again = (): void => {
      if (!everyMs) return;
      every = setTimeout(() => {
        if (!document.hidden) run();
        again();
      }, typeof everyMs === 'function' ? everyMs(latest.current) : everyMs);
    };
    again();
    return () => {
      off?.();
      clearTimeout(timer);
      clearTimeout(every);
    };
  }, [run, options.live]);
  return { data, requestedAt, error, setData: (update) => setData((current) => (current === undefined ? current : update(current))) };
}
