import { freePort } from './core.js';
import { ManagedProcess } from './process.js';
import { eventually } from './services.js';

/**
 * A throwaway Redis on 127.0.0.1 (no persistence), for tests and benches that need a bus of their
 * own. With `tls` it serves TLS only (`rediss://`), with a password.
 */
export async function startRedis(tls?: { certFile: string; keyFile: string; caFile: string; password: string }): Promise<{ url: string; stop: () => Promise<void> }> {
  const port = await freePort();
  const listen = tls
    ? ['--port', '0', '--tls-port', String(port), '--tls-cert-file', tls.certFile, '--tls-key-file', tls.keyFile, '--tls-ca-cert-file', tls.caFile, '--tls-auth-clients', 'no', '--requirepass', tls.password]
    : ['--port', String(port)];
  const redis = new ManagedProcess('redis-server', ['--bind', '127.0.0.1', ...listen, '--save', '', '--appendonly', 'no'], 10_000).start();
  const url = `${tls ? 'rediss' : 'redis'}://127.0.0.1:${port}`;
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
