import { PassThrough } from 'node:stream';
import Docker from 'dockerode';
import { dockerEndpoint } from './services.js';

export const BASE_IMAGE = 'local/busybox:1';

export function testDocker(endpoint = dockerEndpoint()): Docker {
  return new Docker({ socketPath: endpoint.replace(/^unix:\/\//, '') });
}

/** Containers Eru made for a pod, as Docker sees them. */
export async function eruContainers(docker: Docker, pod: string): Promise<Docker.ContainerInfo[]> {
  return docker.listContainers({ all: true, filters: { label: [`eru.pod=${pod}`] } });
}

/** Removes every container a test made for its pod, whatever state the test ended in. */
export async function removePodContainers(docker: Docker, pod: string): Promise<void> {
  for (const info of await eruContainers(docker, pod)) {
    await docker.getContainer(info.Id).remove({ force: true }).catch(() => undefined);
  }
}

/** Removes the images Eru built for an app (APP:SHA7, and REGISTRY/APP:SHA7 when pushed). */
export async function removeAppImages(docker: Docker, app: string): Promise<void> {
  for (const image of await docker.listImages({ filters: { reference: [`${app}:*`, `*/${app}:*`] } })) {
    await docker.getImage(image.Id).remove({ force: true }).catch(() => undefined);
  }
}

/** Runs a command in a container (as `docker exec` would) and returns its output and exit code. */
export async function execIn(docker: Docker, container: string, cmd: string[], timeoutMs = 60_000): Promise<{ code: number; output: string }> {
  const exec = await docker.getContainer(container).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const chunks: Buffer[] = [];
  const out = new PassThrough();
  out.on('data', (d: Buffer) => chunks.push(d));
  docker.modem.demuxStream(stream, out, out);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${cmd.join(' ')} in ${container} took over ${timeoutMs} ms`)), timeoutMs);
    stream.on('end', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  const { ExitCode } = await exec.inspect();
  return { code: ExitCode ?? -1, output: Buffer.concat(chunks).toString() };
}
