// Lint runs as part of the test command (scripts/test.sh). It also holds the layering of DESIGN.md:
//   cli · agent · dashboard (web/) ─► client ─► contract ─► model ─► lib
//   api ─► core ─► scheduler · store · engine · bus · build ─► model ─► lib
// Each folder of src/ may import only the folders listed for it below; anything else fails the lint
// with the rule's message. `eru core`, `eru agent` and `eru plan` load their servers on demand from
// cli/run/ (dynamic import), so client commands stay light.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const LAYERS = ['lib', 'model', 'contract', 'client', 'scheduler', 'store', 'engine', 'bus', 'build', 'core', 'api', 'agent', 'cli', 'web'];

/** What each folder may import (besides itself and npm packages). */
const ALLOWED = {
  lib: [],
  model: ['lib'],
  contract: ['model', 'lib'],
  client: ['contract', 'model', 'lib'],
  scheduler: ['model', 'lib'],
  store: ['lib'],
  engine: ['model', 'lib'],
  bus: ['contract', 'model', 'lib'],
  build: ['engine', 'model', 'lib'],
  core: ['scheduler', 'store', 'engine', 'bus', 'build', 'contract', 'model', 'lib'],
  api: ['core', 'contract', 'model', 'lib'],
  agent: ['client', 'engine', 'contract', 'model', 'lib'],
  cli: ['client', 'contract', 'model', 'lib'],
  web: ['client', 'contract', 'model', 'lib'],
};

const upInto = (folders) => `^(\\.\\./)+(${folders.join('|')})/`;

function layerRule(layer, extraPatterns = []) {
  const forbidden = LAYERS.filter((other) => other !== layer && !ALLOWED[layer].includes(other));
  return {
    files: [`src/${layer}/**/*.ts`, `src/${layer}/**/*.tsx`],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: upInto(forbidden),
              message: `layering (eslint.config.js): src/${layer} may import only ${ALLOWED[layer].join(', ') || 'itself'}; this import runs up or across the layers of DESIGN.md`,
            },
            ...extraPatterns,
          ],
        },
      ],
    },
  };
}

// Client commands and the client load no schemas at run time: zod and the schema modules come in as types only.
const TYPES_ONLY = [
  { regex: '^zod$', allowTypeImports: true, message: 'light client (eslint.config.js): import zod as a type only here; schemas load in servers' },
  {
    regex: '^(\\.\\./)+(contract|model)/(?!strategies\\.js$|images\\.js$|constants\\.js$)',
    allowTypeImports: true,
    message: 'light client (eslint.config.js): import schema modules as types only here (model/strategies, model/images and contract/constants are plain data)',
  },
];
const CLI_COMMANDS_STATIC = [
  { regex: '^\\.\\./run/', message: 'light client (eslint.config.js): cli/run/ holds servers; load it with `await import()` inside the command' },
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  ...LAYERS.filter((layer) => layer !== 'cli' && layer !== 'client').map((layer) => layerRule(layer)),
  layerRule('client', TYPES_ONLY),
  { ...layerRule('cli', [...TYPES_ONLY, ...CLI_COMMANDS_STATIC]), ignores: ['src/cli/run/**'] },
  // cli/run: the servers behind `eru core`, `eru agent`, `eru plan`, loaded on demand; they compose the lower layers.
  {
    files: ['src/cli/run/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { patterns: [{ regex: upInto(['web']), message: 'layering (eslint.config.js): the servers do not import the dashboard' }] },
      ],
    },
  },
);
