import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import { drained } from '../lib/drain.js';
import { invalid } from '../lib/errors.js';

export interface LogLine {
  app: string;
  entry: string;
  workload: string;
  stream: 'stdout' | 'stderr';
  time: string;
  line: string;
}

/** Sends log lines as JSON, one per line (TCP) or one per datagram (UDP). */
export class LogForwarder {
  private tcp: Socket | undefined;
  private udp: UdpSocket | undefined;
  private readonly protocol: 'tcp' | 'udp';
  private readonly host: string;
  private readonly port: number;

  constructor(target: string) {
    const match = /^(tcp|udp):\/\/([\w.-]+):(\d{1,5})$/.exec(target);
    if (!match) throw invalid(['forward-logs'], `"${target}" is not tcp://HOST:PORT or udp://HOST:PORT`);
    this.protocol = match[1] as 'tcp' | 'udp';
    this.host = match[2]!;
    this.port = Number(match[3]);
  }

  /** Resolves once the line is on its way: a slow receiver slows the reading of the containers' output, not the agent's memory. */
  async send(line: LogLine): Promise<void> {
    const text = `${JSON.stringify(line)}\n`;
    if (this.protocol === 'udp') {
      this.udp ??= createSocket('udp4');
      await new Promise<void>((resolve) => this.udp!.send(text, this.port, this.host, () => resolve()));
      return;
    }
    if (!this.tcp || this.tcp.destroyed) {
      const socket = connect(this.port, this.host);
      // A receiver that goes away loses lines until it is back; the agent goes on.
      socket.on('error', () => socket.destroy());
      this.tcp = socket;
    }
    if (!this.tcp.write(text)) await drained(this.tcp);
  }

  close(): void {
    this.tcp?.end();
    this.udp?.close();
  }
}
