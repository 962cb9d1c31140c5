import { openBus } from '../../src/bus/index.js';
import { busConformance } from '../support/bus-conformance.js';
import { redisUrl } from '../../harness/services.js';

busConformance('memory', async () => openBus('memory'));
busConformance('redis', async () => openBus(redisUrl()));
