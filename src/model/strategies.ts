/** Deploy strategies and what `limit` means for each. Plain data: the CLI prints it without loading schemas. */
export const STRATEGIES = ['AUTO', 'FILL', 'EACH', 'GLOBAL', 'DRAINED'] as const;
export type Strategy = (typeof STRATEGIES)[number];

/** What `limit` means for each strategy; shown in `eru deploy --help`, the API document and the scheduler README. */
export const LIMIT_MEANING =
  'AUTO: at most this many instances of the app/entrypoint on any node, counting those it runs; ' +
  'FILL: make this many nodes hold `count` each (nodes already holding it count; none left to fill is a no-op); ' +
  'EACH: `count` on this many nodes, those with most room; GLOBAL, DRAINED: not allowed; 0: no limit';
