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
  { ignores: ['dist/**', 'dist-dev/**', 'node_modules/**'] },
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
    files: ['src/client/**/*.ts', 'src/cli/**/*.ts'],
    ignores: ['src/cli/run/**'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: TYPES_ONLY }] },
  },
);
