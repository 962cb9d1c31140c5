import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { describe, it } from 'node:test';

/** `eru-client` is what teams import: the workspace package, by its name, speaking the API's errors. */
describe('the eru-client package', () => {
  it('is importable by its package name and turns an error reply into an EruError with code and path', async () => {
    const sdk = await import('eru-client');
    assert.equal(typeof sdk.EruClient, 'function');
    const server = createServer((request, response) => {
      response.writeHead(400, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ code: 'INVALID_ARGUMENT', message: 'cpu: cpu must be a number ≥ 0', path: 'cpu' }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const client = new sdk.EruClient({ url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, token: 't' });
      await assert.rejects(client.pods.list(), (error: unknown) => {
        assert.ok(error instanceof sdk.EruError);
        assert.equal(error.code, sdk.ErrorCode.INVALID_ARGUMENT);
        assert.deepEqual(error.path, ['cpu']);
        return true;
      });
    } finally {
      server.close();
    }
  });
});
