import { freePort } from './core.js';
import { ManagedProcess } from './process.js';
import { eventually } from './services.js';

/** A throwaway Redis on 127.0.0.1 (no persistence), for benches that need a bus of their own. */
export async function startRedis(): Promise<{ url: string; stop: () => Promise<void> }> {
  const port = await freePort();
  const redis = new ManagedProcess('redis-server', ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no'], 10_000).start();
  const url = `redis://127.0.0.1:${port}`;
  await eventually(
    async () => {
      if (redis.exitCode !== null) throw new Error(`redis-server exited: ${redis.output}`);
      return fetch(`http://127.0.0.1:${port}/`).then(
        () => true,
        // Redis answers an HTTP request by closing the connection: listening. Refused: not yet.
        (error: { cause?: { code?: string } }) => error.cause?.code !== 'ECONNREFUSED',
      );
    },
    10_000,
    'redis-server to listen',
  );
  return { url, stop: () => redis.stop() };
}
