import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';

/** What a command run in a container left: its exit code and the end of its output. */
export interface ExecResult {
  exitCode: number;
  /** stdout and stderr together, the last 4 KiB. */
  output: string;
}

const KEEP = 4096;

/**
 * Runs a command inside a running container (as `docker exec` does, as the container's user) and
 * waits for it, within `timeoutMs` (then it counts as failed, exit code -1).
 */
export async function execCommand(docker: Docker, container: string, cmd: string[], timeoutMs = 60_000): Promise<ExecResult> {
  const exec = await docker.getContainer(container).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  let output = '';
  const sink = new PassThrough();
  sink.on('data', (chunk: Buffer) => (output = (output + chunk.toString('utf8')).slice(-KEEP)));
  docker.modem.demuxStream(stream, sink, sink);
  const finished = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => {
      (stream as unknown as { destroy?: () => void }).destroy?.();
      resolve(false);
    }, timeoutMs);
    stream.on('end', () => {
      clearTimeout(timer);
      resolve(true);
    });
    stream.on('error', () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
  if (!finished) return { exitCode: -1, output: `${output}\n(timed out after ${timeoutMs / 1000} s)` };
  const { ExitCode } = await exec.inspect();
  return { exitCode: ExitCode ?? -1, output };
}
