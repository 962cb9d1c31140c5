// Lint runs as part of the test command (scripts/test.sh). It also holds the layering of DESIGN.md:
// scripts/layers.mjs lists what each folder of src/ (and bench/, harness/, test/) may import, and its
// rule `eru/layers` checks every form of import against that list. `eru core`, `eru agent` and `eru plan`
// load their servers on demand from cli/run/ (dynamic import), so client commands stay light.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { layersRule } from './scripts/layers.mjs';

// Client commands and the client load no schemas at run time: zod and the schema modules come in as types only.
const TYPES_ONLY = [
  { regex: '^zod$', allowTypeImports: true, message: 'light client (eslint.config.js): import zod as a type only here; schemas load in servers' },
  {
    regex: '^(\\.\\./)+(contract|model)/(?!strategies\\.js$|images\\.js$|constants\\.js$)',
    allowTypeImports: true,
    message: 'light client (eslint.config.js): import schema modules as types only here (model/strategies, model/images and contract/constants are plain data)',
  },
];

export default tseslint.config(
  { ignores: ['**/dist/**', 'dist-dev/**', 'node_modules/**', 'packages/client/src/wire.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    files: ['src/**/*.ts', 'src/**/*.tsx', 'bench/**/*.ts', 'harness/**/*.ts', 'test/**/*.ts'],
    plugins: { eru: { rules: { layers: layersRule } } },
    rules: { 'eru/layers': 'error' },
  },
  {
    files: ['src/cli/**/*.ts'],
    ignores: ['src/cli/run/**'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: TYPES_ONLY }] },
  },
  {
    // eru-client installs alone: no runtime dependency, and nothing from the repository around it (its wire types are generated into it).
    files: ['packages/client/src/**/*.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: [{ regex: '^(?!node:|\\./)', message: 'eru-client (eslint.config.js): import only its own files and node: builtins; it has no dependency' }] }] },
  },
  {
    // The servers' layers do not call the API: only the CLI, the agent, the dashboard (and the harness) use the client.
    files: ['src/{model,scheduler,store,engine,bus,build,core,api}/**/*.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { paths: [{ name: 'eru-client', message: 'layers (eslint.config.js): the servers do not use the client; the wire\'s errors come through src/lib/errors' }, { name: 'eru-client/node', message: 'layers (eslint.config.js): the servers do not use the client' }] }] },
  },
);
