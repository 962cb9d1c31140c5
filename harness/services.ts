/**
 * The real services the integration tests talk to, started by scripts/test.sh on loopback with
 * throwaway data directories. A test run outside that script fails here with the reason.
 */
function required(name: string, what: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: ${what} is started by scripts/test.sh (npm test)`);
  return value;
}

/** `HOST:PORT` of the etcd member. */
export function etcdAddress(): string {
  return required('ERU_TEST_ETCD', 'etcd');
}

/** `redis://HOST:PORT` of the Redis server. */
export function redisUrl(): string {
  return required('ERU_TEST_REDIS', 'Redis');
}

/** `unix:///...` of the Docker daemon the tests deploy on. */
export function dockerEndpoint(): string {
  return required('ERU_TEST_DOCKER', 'the Docker daemon');
}

export function uniqueSuffix(): string {
  return `${process.pid.toString(36)}${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
}

export async function eventually<T>(check: () => Promise<T | undefined | null | false>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
