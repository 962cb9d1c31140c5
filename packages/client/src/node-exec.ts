import type { ExecView } from './wire.js';
import type { Duplex, Writable } from 'node:stream';
import { EXEC_UPGRADE } from './protocol.js';
import { openRequest, refusalOf, unreachable, type Core } from './node-request.js';

/** Opens an exec's stream through the core (an HTTP upgrade); Node only. */
export function attachExec(core: Core, view: ExecView): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const request = openRequest(core, 'GET', `/v1/nodes/${encodeURIComponent(view.node)}/exec/${view.exec}/attach?tty=${view.tty}`, { connection: 'Upgrade', upgrade: EXEC_UPGRADE });
    request.on('upgrade', (_response, socket, head) => {
      if (head.length > 0) socket.unshift(head);
      resolve(socket);
    });
    request.on('response', (response) => void refusalOf(response, 'the attach').then(reject, reject));
    request.on('error', (error: NodeJS.ErrnoException) => reject(unreachable(core, error)));
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
