import Docker from 'dockerode';
import { EruError, ErrorCode } from '../lib/errors.js';
import { isSimulated, parseSimulated, SimulatedEngine } from './simulated.js';

/** How the core reaches one node's Docker Engine API. */
export interface EngineEndpoint {
  endpoint: string;
  tls?: { ca: string; cert: string; key: string };
}

export interface EngineInfo {
  version: string;
  os: string;
  cpus: number;
  memory: number;
}

const INFO_TIMEOUT_MS = 5000;

/** How long a control call (create, start, update, inspect, connect) may take before it is given up. */
export const ENGINE_CALL_MS = 30_000;

/**
 * A deadline for one Engine API call. A daemon that accepts a connection but does not answer (one
 * just restarted, or overloaded) would otherwise hold the caller — often under its service's lock —
 * for ever; the caller fails with the reason and is retried. Not for streams (logs, events, a job's
 * wait), which may rightly last for hours: those have no deadline.
 */
export function deadline(ms = ENGINE_CALL_MS): { abortSignal: AbortSignal } {
  return { abortSignal: AbortSignal.timeout(ms) };
}

/**
 * How a container is removed: forced (killed if running), with its anonymous volumes, and given up
 * after a minute (a forced kill of a busy container can take a while).
 */
export function forcedRemoval(): Docker.ContainerRemoveOptions & { abortSignal: AbortSignal } {
  return { force: true, v: true, ...deadline(60_000) };
}

export function connectEngine({ endpoint, tls }: EngineEndpoint): Docker {
  if (isSimulated(endpoint)) return new SimulatedEngine(parseSimulated(endpoint)).asDocker();
  if (endpoint.startsWith('unix://')) return new Docker({ socketPath: endpoint.slice('unix://'.length), timeout: 0 });
  const match = /^tcp:\/\/([\w.-]+):(\d+)$/.exec(endpoint);
  if (!match) throw new EruError(ErrorCode.INVALID_ARGUMENT, `endpoint ${endpoint}: use unix:///path or tcp://host:port`, { path: ['endpoint'] });
  return new Docker({
    host: match[1],
    port: Number(match[2]),
    protocol: tls ? 'https' : 'http',
    ...(tls ? { ca: tls.ca, cert: tls.cert, key: tls.key } : {}),
  });
}

/** The daemon's CPUs, memory and version; a clear error when it does not answer. */
export async function engineInfo(target: EngineEndpoint): Promise<EngineInfo> {
  const docker = connectEngine(target);
  let timer: NodeJS.Timeout | undefined;
  try {
    const info = (await Promise.race([
      docker.info(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${INFO_TIMEOUT_MS / 1000} s`)), INFO_TIMEOUT_MS);
      }),
    ])) as { ServerVersion?: string; OperatingSystem?: string; NCPU?: number; MemTotal?: number };
    return {
      version: info.ServerVersion ?? 'unknown',
      os: info.OperatingSystem ?? 'unknown',
      cpus: info.NCPU ?? 0,
      memory: info.MemTotal ?? 0,
    };
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new EruError(ErrorCode.ENGINE_UNREACHABLE, `the Docker daemon at ${target.endpoint} does not answer: ${reason}`, {
      path: ['endpoint']
    });
  } finally {
    clearTimeout(timer);
  }
}
