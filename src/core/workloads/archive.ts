import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type Docker from 'dockerode';
import type { ArchiveOwner, ArchiveStat } from '../../contract/archive.js';
import { engineMessage, isMissing } from '../../engine/engines.js';
import { EruError, ErrorCode, invalid, notFound } from '../../lib/errors.js';
import { formatMemory } from '../../lib/units.js';
import { withoutSetIdBits } from '../../lib/tar.js';
import type { Workload } from '../../model/workload.js';
import type { CoreContext } from '../context.js';
import type { Versioned } from '../repositories.js';

/** Most a copy into or out of a container may carry. */
export const ARCHIVE_LIMIT = 512 * 1024 * 1024;
const DIRECTORY = 2 ** 31;
const SMALL_FILE = 1024 * 1024;
/** Uploads received at once (each may be up to the limit, spooled to disk); more wait their turn with 429. */
export const UPLOADS_AT_ONCE = 4;

/**
 * `eru cp`: files into and out of a workload's container as tar, through the core. An upload is
 * received whole (within the limit) before anything is written into the container, so a refused or
 * broken upload changes nothing.
 */
export class ArchiveService {
  private uploading = 0;

  constructor(
    private readonly context: CoreContext,
    readonly limit = ARCHIVE_LIMIT,
  ) {}

  async stat(find: () => Promise<Versioned<Workload>>, path: string): Promise<ArchiveStat> {
    const container = await this.container(find);
    const owner = await this.owner(container);
    try {
      const response = (await container.infoArchive({ path: checked(path) })) as unknown as { headers: Record<string, string>; resume?: () => void };
      response.resume?.();
      const stat = JSON.parse(Buffer.from(response.headers['x-docker-container-path-stat'] ?? '', 'base64').toString('utf8')) as { size: number; mode: number };
      return { path, exists: true, directory: (stat.mode & DIRECTORY) !== 0, size: stat.size, owner };
    } catch (error) {
      if (isMissing(error)) return { path, exists: false, directory: false, size: 0, owner };
      throw new EruError(ErrorCode.ENGINE_ERROR, engineMessage(error));
    }
  }

  /**
   * The container's user as uid and gid, looked up in the container's own /etc/passwd. Docker's
   * copyUIDGID looks names up on the host instead (moby/moby#34142), so clients set the owner in the
   * tar they send.
   */
  private async owner(container: Docker.Container): Promise<ArchiveOwner> {
    const user = (await container.inspect().catch((error: unknown) => {
      throw new EruError(isMissing(error) ? ErrorCode.NOT_FOUND : ErrorCode.ENGINE_ERROR, engineMessage(error));
    })).Config.User;
    const [name = '', group] = user.split(':');
    const numeric = (value: string | undefined): number | undefined => (value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined);
    if (name === '' || name === 'root') return { user: 'root', uid: 0, gid: numeric(group) ?? 0 };
    const passwd = await this.readFile(container, '/etc/passwd').catch(() => '');
    const entry = passwd.split('\n').map((line) => line.split(':')).find((fields) => fields[0] === name || fields[2] === name);
    const uid = numeric(name) ?? numeric(entry?.[2]);
    if (uid === undefined) throw new EruError(ErrorCode.ENGINE_ERROR, `the container's user ${name} is not in its /etc/passwd`);
    return { user: entry?.[0] ?? name, uid, gid: numeric(group) ?? numeric(entry?.[3]) ?? uid };
  }

  /** One small regular file of the container, read out of the one-entry tar Docker answers with (its first 1 MiB: the file is the workload's). */
  private async readFile(container: Docker.Container, path: string): Promise<string> {
    const chunks: Buffer[] = [];
    let bytes = 0;
    const archive = (await container.getArchive({ path })) as unknown as Readable;
    for await (const chunk of archive as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      bytes += chunk.length;
      if (bytes > SMALL_FILE) {
        archive.destroy();
        break;
      }
    }
    const tar = Buffer.concat(chunks);
    const size = parseInt(tar.subarray(124, 136).toString('latin1').replace(/\0.*$/, '').trim() || '0', 8);
    return tar.subarray(512, 512 + size).toString('utf8');
  }

  /**
   * The path as a tar stream (its last element at the top of the archive, as Docker gives it),
   * without set-id bits: unpacked as root elsewhere they would make the workload's files set-id programs.
   */
  async download(find: () => Promise<Versioned<Workload>>, path: string): Promise<AsyncGenerator<Buffer>> {
    const container = await this.container(find);
    try {
      return withoutSetIdBits((await container.getArchive({ path: checked(path) })) as unknown as AsyncIterable<Buffer>);
    } catch (error) {
      if (isMissing(error)) throw new EruError(ErrorCode.NOT_FOUND, `${path}: ${engineMessage(error)}`, { path: ['path'] });
      throw new EruError(ErrorCode.ENGINE_ERROR, engineMessage(error));
    }
  }

  /** Unpacks a tar into a directory of the container, once it has arrived whole and within the limit. */
  async upload(find: () => Promise<Versioned<Workload>>, path: string, source: Readable): Promise<{ bytes: number }> {
    if (this.uploading >= UPLOADS_AT_ONCE) {
      throw new EruError(ErrorCode.RATE_LIMITED, `${UPLOADS_AT_ONCE} copies into containers are under way; try again when one is done`, { details: { retryAfter: 5 } });
    }
    this.uploading++;
    try {
      return await this.receive(find, path, source);
    } finally {
      this.uploading--;
    }
  }

  private async receive(find: () => Promise<Versioned<Workload>>, path: string, source: Readable): Promise<{ bytes: number }> {
    const container = await this.container(find);
    const dir = await mkdtemp(join(tmpdir(), 'eru-cp-'));
    const file = join(dir, 'upload.tar');
    let bytes = 0;
    const limit = this.limit;
    try {
      await pipeline(
        source,
        async function* (chunks: AsyncIterable<Buffer>) {
          for await (const chunk of chunks) {
            bytes += chunk.length;
            if (bytes > limit) throw new EruError(ErrorCode.BODY_TOO_LARGE, `the copy is over the limit of ${formatMemory(limit)}; nothing was written into the container`);
            yield chunk;
          }
        },
        createWriteStream(file),
      );
      await container.putArchive(createReadStream(file), { path: checked(path) }).catch((error: unknown) => {
        if (isMissing(error)) throw new EruError(ErrorCode.NOT_FOUND, `${path}: ${engineMessage(error)}`, { path: ['path'] });
        throw new EruError(ErrorCode.ENGINE_ERROR, engineMessage(error));
      });
      return { bytes };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  private async container(find: () => Promise<Versioned<Workload>>) {
    const { value: workload } = await find();
    const node = await this.context.repos.nodes.get(workload.node);
    if (!node) throw notFound('node', workload.node);
    return this.context.engines.get(node.value).getContainer(workload.id);
  }
}

function checked(path: string): string {
  if (!path.startsWith('/')) throw invalid(['path'], `${path}: give an absolute path in the container`);
  return path;
}
