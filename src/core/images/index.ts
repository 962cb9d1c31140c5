import type { BaseImageEvent, ImageCacheEvent } from '../../contract/events.js';
import type { BaseKind } from '../../model/images.js';
import type { EventQueue } from '../background.js';
import type { CoreContext } from '../context.js';
import { startBaseImages } from './base.js';
import { startImageCache } from './cache.js';

/** Images: base images made on nodes (base.ts), a version cached on nodes (cache.ts); a version's image is built by the pipeline (build.ts, core/pipeline/). */
export class Images {
  constructor(private readonly context: CoreContext) {}

  base(kind: BaseKind, options: { pod?: string; nodes: string[]; force: boolean }): Promise<EventQueue<BaseImageEvent>> {
    return startBaseImages(this.context, kind, options);
  }

  cache(app: string, version: string, options: { pod?: string; nodes: string[] }): Promise<EventQueue<ImageCacheEvent>> {
    return startImageCache(this.context, app, version, options);
  }
}
