import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Duplex, Writable } from 'node:stream';
import { EXEC_UPGRADE } from '../contract/constants.js';
import type { ExecView } from '../contract/exec.js';
import { EruError, ErrorCode } from '../lib/errors.js';
import type { ErrorBody } from '../contract/errors.js';

/** Opens an exec's stream through the core (an HTTP upgrade); Node only. */
export function attachExec(url: string, token: string | undefined, view: ExecView): Promise<Duplex> {
  const target = new URL(`${url}/v1/nodes/${encodeURIComponent(view.node)}/exec/${view.exec}/attach?tty=${view.tty}`);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const request = send(target, {
      method: 'GET',
      headers: { connection: 'Upgrade', upgrade: EXEC_UPGRADE, ...(token ? { authorization: `Bearer ${token}` } : {}) },
    });
    request.on('upgrade', (_response, socket, head) => {
      if (head.length > 0) socket.unshift(head);
      resolve(socket);
    });
    request.on('response', (response) => {
      let text = '';
      response.on('data', (d: Buffer) => (text += d.toString()));
      response.on('end', () => {
        let body: Partial<ErrorBody> = {};
        try {
          body = JSON.parse(text) as ErrorBody;
        } catch {
          // not JSON
        }
        reject(new EruError(body.code ?? ErrorCode.INTERNAL, body.message ?? `the core answered ${response.statusCode} to the attach`));
      });
    });
    request.on('error', (error: NodeJS.ErrnoException) => reject(new EruError(ErrorCode.UNAVAILABLE, `cannot reach the core at ${url}: ${error.code ?? error.message}`)));
    request.end();
  });
}

/**
 * Splits Docker's multiplexed stream (no TTY): frames of an 8-byte header — stream (1 stdout, 2
 * stderr), three zero bytes, a big-endian length — then that many bytes.
 */
export function demultiplex(source: Duplex, stdout: Writable, stderr: Writable): Promise<void> {
  let buffer = Buffer.alloc(0);
  return new Promise((resolve, reject) => {
    source.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      while (buffer.length >= 8) {
        const size = buffer.readUInt32BE(4);
        if (buffer.length < 8 + size) break;
        (buffer[0] === 2 ? stderr : stdout).write(buffer.subarray(8, 8 + size));
        buffer = buffer.subarray(8 + size);
      }
    });
    source.on('end', resolve);
    source.on('close', resolve);
    source.on('error', reject);
  });
}
