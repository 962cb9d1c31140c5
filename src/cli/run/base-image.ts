import { makeBaseImage } from '../../build/base.js';
import { connectEngine } from '../../engine/docker.js';
import type { BaseKind } from '../../model/images.js';

/** `eru image base KIND --docker ENDPOINT`, loaded on demand: the base made on one daemon, without a core. */
export function makeBaseOn(endpoint: string, kind: BaseKind, force: boolean): Promise<{ image: string; made: boolean; id: string }> {
  return makeBaseImage(connectEngine({ endpoint }), kind, force, (line) => console.error(line));
}
