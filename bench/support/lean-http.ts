import { connect, type Socket } from 'node:net';

/**
 * A minimal HTTP/1.1 client for SIMULATED agents only (bench/support/sim-agents.ts): thousands of
 * heartbeats a second from one machine would otherwise spend more CPU in the benchmark's own HTTP
 * client than the cores spend answering them — on a real cluster each agent runs on its own host.
 * It keeps a few connections open per core and sends one JSON request at a time on each; it knows
 * only what Fastify answers (a Content-Length body). Not for anything but the bench.
 */
export class LeanHttp {
  private readonly idle: Connection[] = [];
  private readonly waiting: Array<(connection: Connection) => void> = [];
  private open = 0;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly maxConnections: number,
  ) {}

  /** POSTs a JSON body; resolves with the status and the body's text. */
  async post(path: string, token: string, body: string): Promise<{ status: number; body: string }> {
    const connection = await this.take();
    try {
      return await connection.request(`POST ${path} HTTP/1.1\r\nHost: ${this.host}:${this.port}\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    } catch (error) {
      connection.close();
      this.open--;
      throw error;
    } finally {
      if (!connection.closed) this.give(connection);
    }
  }

  close(): void {
    for (const connection of this.idle.splice(0)) connection.close();
  }

  private take(): Promise<Connection> {
    let connection = this.idle.pop();
    // One the server closed while it was idle is dropped, not tried.
    while (connection?.closed) {
      this.open--;
      connection = this.idle.pop();
    }
    if (connection) return Promise.resolve(connection);
    if (this.open < this.maxConnections) {
      this.open++;
      return Promise.resolve(new Connection(this.host, this.port));
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private give(connection: Connection): void {
    const next = this.waiting.shift();
    if (next) next(connection);
    else this.idle.push(connection);
  }
}

class Connection {
  private readonly socket: Socket;
  private buffer: Buffer = Buffer.alloc(0);
  private pending: { resolve: (answer: { status: number; body: string }) => void; reject: (error: Error) => void } | undefined;
  closed = false;

  constructor(host: string, port: number) {
    this.socket = connect({ host, port, noDelay: true });
    this.socket.on('data', (chunk: Buffer) => {
      this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
      this.parse();
    });
    const fail = (error: Error): void => {
      this.closed = true;
      this.pending?.reject(error);
      this.pending = undefined;
    };
    this.socket.on('error', fail);
    this.socket.on('close', () => fail(new Error('connection closed')));
  }

  request(text: string): Promise<{ status: number; body: string }> {
    if (this.closed) return Promise.reject(new Error('connection closed'));
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.socket.write(text);
    });
  }

  close(): void {
    this.closed = true;
    this.socket.destroy();
  }

  private parse(): void {
    const end = this.buffer.indexOf('\r\n\r\n');
    if (end < 0 || !this.pending) return;
    const head = this.buffer.subarray(0, end).toString('latin1');
    const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
    if (this.buffer.length < end + 4 + length) return;
    const status = Number(head.slice(9, 12));
    const body = this.buffer.subarray(end + 4, end + 4 + length).toString('utf8');
    this.buffer = this.buffer.subarray(end + 4 + length);
    const { resolve } = this.pending;
    this.pending = undefined;
    resolve({ status, body });
  }
}
