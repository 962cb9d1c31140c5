import type { Publish } from '../bus/types.js';
import type { Engines } from '../engine/engines.js';
import type { Log } from '../lib/log.js';
import type { IntentsInHand } from './intents-in-hand.js';
import type { CoreMetrics } from './metrics.js';
import type { Repositories } from './repositories.js';

/** What the core's use cases share: the store, the Docker clients, the bus, and who this core is. */
export interface CoreContext {
  repos: Repositories;
  engines: Engines;
  publish: Publish;
  /** This core process's id; intents it writes carry it. */
  owner: string;
  /** The intents this process is carrying out now (recovery takes up its own others). */
  inHand: IntentsInHand;
  /** Where clients reach this core (announced with its liveness, listed by GET /v1/cores). */
  advertise?: string | undefined;
  /** HOST:PORT of the registry builds are pushed to and nodes pull from; without one, images are copied between nodes. */
  registry?: string;
  /** Host directories an app.yaml's binds may lie under (core/apps/binds.ts). */
  bindRoots: readonly string[];
  log: Log;
  metrics: CoreMetrics;
}
