import type Docker from 'dockerode';
import { EruError, ErrorCode } from '../lib/errors.js';
import { connectEngine, type EngineEndpoint } from './docker.js';
import { isSimulated } from './simulated.js';

/** One Docker client per node, reused across calls; simulated engines (sim://) only when the core allows them. */
export class Engines {
  private readonly clients = new Map<string, { endpoint: string; docker: Docker }>();

  constructor(readonly allowSimulated = false) {}

  /** Refuses a simulated engine unless this core runs with --allow-simulated. */
  checkAllowed(endpoint: string): void {
    if (isSimulated(endpoint) && !this.allowSimulated) {
      throw new EruError(ErrorCode.INVALID_ARGUMENT, `${endpoint} is a simulated engine, for measuring the control plane: the core takes one only when started with --allow-simulated`, { path: ['endpoint'] });
    }
  }

  get(node: { name: string } & EngineEndpoint): Docker {
    const cached = this.clients.get(node.name);
    if (cached && cached.endpoint === node.endpoint) return cached.docker;
    this.checkAllowed(node.endpoint);
    const docker = connectEngine(node);
    this.clients.set(node.name, { endpoint: node.endpoint, docker });
    return docker;
  }
}

/** Docker answered 404: the thing is already gone, which is what removal wanted. */
export function isMissing(error: unknown): boolean {
  return (error as { statusCode?: number }).statusCode === 404;
}

export function engineMessage(error: unknown): string {
  const e = error as { json?: { message?: string }; message?: string; statusCode?: number; name?: string };
  // An aborted call is one whose deadline passed (engine/docker.ts `deadline`).
  if (e.name === 'AbortError' || e.name === 'TimeoutError') return 'the Docker daemon did not answer in time';
  return e.json?.message ?? e.message ?? String(error);
}
