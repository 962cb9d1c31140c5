import type { BaseImageEvent, BuildEvent, ImageCacheEvent } from '../../contract/events.js';
import type { BaseKind } from '../../model/images.js';
import { trackActivity } from '../apps/activities.js';
import type { EventQueue } from '../background.js';
import type { CoreContext } from '../context.js';
import { startBaseImages } from './base.js';
import { startBuild } from './build.js';
import { startImageCache } from './cache.js';

/** Images: a version built from git (build.ts), base images made on nodes (base.ts), a version cached on nodes (cache.ts). */
export class Images {
  constructor(private readonly context: CoreContext) {}

  async build(app: string, version: string, pod: string): Promise<EventQueue<BuildEvent>> {
    return trackActivity(this.context, { kind: 'build', app, pod, version }, await startBuild(this.context, app, version, pod));
  }

  base(kind: BaseKind, options: { pod?: string; nodes: string[]; force: boolean }): Promise<EventQueue<BaseImageEvent>> {
    return startBaseImages(this.context, kind, options);
  }

  cache(app: string, version: string, options: { pod?: string; nodes: string[] }): Promise<EventQueue<ImageCacheEvent>> {
    return startImageCache(this.context, app, version, options);
  }
}
