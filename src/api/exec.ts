import type { IncomingMessage } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { EXEC_UPGRADE } from '../contract/constants.js';
import { statusOf } from '../contract/errors.js';
import type { ExecService } from '../core/index.js';
import { EruError, ErrorCode } from '../lib/errors.js';
import type { Gate } from './auth.js';

const ATTACH = /^\/v1\/nodes\/([^/?]+)\/exec\/([0-9a-f]{64})\/attach(?:\?(.*))?$/;

/**
 * `GET /v1/nodes/{node}/exec/{exec}/attach` with `Upgrade: eru-exec`: after `101 Switching
 * Protocols` the connection carries the exec's stream both ways (stdin in; stdout and stderr out,
 * multiplexed by Docker's frames without a TTY). The client ending its side ends the command's stdin.
 */
export function registerExecAttach(app: FastifyInstance, gate: Gate, exec: ExecService): void {
  app.server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    void attach(gate, exec, request, socket, head).catch((error: unknown) => {
      const known = error instanceof EruError ? error : new EruError(ErrorCode.INTERNAL, 'internal error; the core log has the details');
      if (!(error instanceof EruError)) app.log.error({ err: error }, 'exec attach failed');
      refuse(socket, statusOf(known.code), known.toJSON());
    });
  });
}

async function attach(gate: Gate, exec: ExecService, request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
  const match = ATTACH.exec(request.url ?? '');
  if (!match || request.headers.upgrade?.toLowerCase() !== EXEC_UPGRADE) {
    throw new EruError(ErrorCode.NOT_FOUND, `no upgrade route ${request.url?.split('?')[0]} (attach to an exec with Upgrade: ${EXEC_UPGRADE})`);
  }
  await gate.admit(request.headers.authorization, request.socket.remoteAddress ?? '', 'admin');
  const tty = new URLSearchParams(match[3] ?? '').get('tty') === 'true';
  const stream = await exec.attach(decodeURIComponent(match[1]!), match[2]!, tty);
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: ${EXEC_UPGRADE}\r\n\r\n`);
  if (head.length > 0) stream.write(head);
  socket.pipe(stream);
  stream.pipe(socket);
  const close = (): void => {
    socket.destroy();
    stream.destroy();
  };
  stream.on('error', close);
  socket.on('error', close);
  stream.on('close', () => socket.end());
}

function refuse(socket: Duplex, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`);
}
