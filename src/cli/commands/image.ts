import type { Command } from 'commander';
import type { BaseImageEvent, ImageCacheEvent } from '../../contract/events.js';
import { BASE_IMAGES, BASE_KINDS, type BaseKind } from '../../model/images.js';
import { EruError, invalid, ErrorCode } from '../../lib/errors.js';
import { followToResult } from '../follow.js';
import { action } from '../output.js';
import { collect, globals } from '../options.js';

interface BaseOptions {
  pod?: string;
  node?: string[];
  force?: boolean;
  docker?: string;
}

function describe(event: Extract<BaseImageEvent, { type: 'node' }>): string {
  return event.made ? `${event.node}: made ${event.image} (${event.id.slice(7, 19)})` : `${event.node}: ${event.image} is there already (${event.id.slice(7, 19)})`;
}

/** `eru image base busybox`: a base image made from Debian's packages, since none can be pulled. */
export function registerImage(program: Command): void {
  const image = program.command('image').description('images on the nodes');
  image
    .command('base')
    .description(`make a base image on nodes (${BASE_KINDS.map((k) => `${k}: ${BASE_IMAGES[k].image}, ${BASE_IMAGES[k].describe}`).join('; ')})`)
    .argument('<kind>', BASE_KINDS.join(' | '))
    .option('--pod <pod>', 'every node of this pod (default: every node)')
    .option('--node <name>', 'this node (repeat for more)', collect)
    .option('--force', 'make it again even where it exists')
    .option('--docker <endpoint>', 'make it on this Docker daemon directly, without a core (unix:///var/run/docker.sock)')
    .action(
      action(async (kind: string, options: BaseOptions, command: Command) => {
        if (!(BASE_KINDS as string[]).includes(kind)) throw invalid(['kind'], `"${kind}" is not a base Eru can make (${BASE_KINDS.join(', ')})`);
        const json = globals(command).json;
        if (options.docker) {
          if (options.pod || options.node) throw invalid(['docker'], '--docker makes the image on that daemon alone: leave out --pod and --node');
          const { makeBaseOn } = await import('../run/base-image.js');
          const made = await makeBaseOn(options.docker, kind as BaseKind, options.force ?? false);
          const event = { type: 'node' as const, node: options.docker, ...made };
          console.log(json ? JSON.stringify(event) : describe(event));
          return;
        }
        const body = { kind: kind as BaseKind, ...(options.pod ? { pod: options.pod } : {}), nodes: options.node ?? [], force: options.force ?? false };
        const result = await followToResult<BaseImageEvent>(command, (client, onEvent) => client.images.base(body, onEvent), (event) => {
          if (event.type === 'output') console.error(event.line);
          else if (event.type === 'node') console.log(describe(event));
          else if (event.type === 'node-failed') console.error(`${event.node}: FAILED: ${event.error}`);
        });
        if (!result.ok) throw new EruError(ErrorCode.IMAGE_FAILED, `${result.image} could not be made on ${result.failed} node(s)`);
      }),
    );
  image
    .command('cache')
    .description("put a built version's image on nodes ahead of a deploy (pulled from the registry, or copied from its build node)")
    .argument('<app>')
    .requiredOption('--version <sha>', 'the built version (7 to 40 hex digits)')
    .option('--pod <pod>', 'every node of this pod (default: every node)')
    .option('--node <name>', 'this node (repeat for more)', collect)
    .action(
      action(async (app: string, options: { version: string; pod?: string; node?: string[] }, command: Command) => {
        const body = { app, version: options.version, ...(options.pod ? { pod: options.pod } : {}), nodes: options.node ?? [] };
        const result = await followToResult<ImageCacheEvent>(command, (client, onEvent) => client.images.cache(body, onEvent), (event) => {
          if (event.type === 'node') console.log(event.how === 'present' ? `${event.node}: ${event.image} is there already` : `${event.node}: ${event.how} ${event.image} from ${event.from}${event.note ? ` (${event.note})` : ''}`);
          else if (event.type === 'node-failed') console.error(`${event.node}: FAILED: ${event.error}`);
        });
        if (!result.ok) throw new EruError(ErrorCode.IMAGE_FAILED, `${result.image} could not be put on ${result.failed} node(s)`);
      }),
    );
}
