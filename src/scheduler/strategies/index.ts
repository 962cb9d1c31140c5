import type { Strategy } from '../../model/strategies.js';
import { auto } from './auto.js';
import { drained } from './drained.js';
import { each } from './each.js';
import { fill } from './fill.js';
import { global } from './global.js';
import type { DeployStrategy } from './types.js';

export const STRATEGY_TABLE: Record<Strategy, DeployStrategy> = {
  AUTO: auto,
  FILL: fill,
  EACH: each,
  GLOBAL: global,
  DRAINED: drained,
};

export type { DeployStrategy, Distribution, StrategyInput, StrategyNode } from './types.js';
