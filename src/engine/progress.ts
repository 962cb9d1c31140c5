import type Docker from 'dockerode';
import { EruError } from '../lib/errors.js';

/** One object of a Docker progress stream (build, pull, push, load, import). */
export interface DockerProgress {
  stream?: string;
  status?: string;
  error?: string;
  id?: string;
  progress?: string;
}

/**
 * Follows a Docker progress stream to its end. Docker reports a failure inside the stream, with a
 * 200 status, so the last error in it is thrown as `failure(message)`.
 */
export function followProgress(
  docker: Docker,
  stream: NodeJS.ReadableStream,
  failure: (message: string) => EruError,
  onEvent?: (event: DockerProgress) => void,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (error: Error | null, results: DockerProgress[]) => {
        const failed = error?.message ?? results.find((r) => r.error)?.error;
        if (failed) reject(failure(failed.trim()));
        else resolve();
      },
      onEvent,
    );
  });
}
