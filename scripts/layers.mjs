// The layering of DESIGN.md as data, and the lint rule that holds it (eslint.config.js uses both;
// test/unit/layers.test.ts checks that every folder of src/ is listed and that wrong imports fail).
//
//   cli · agent · dashboard (web/) ─► eru-client (packages/client) ─► its wire types, made from contract ─► model ─► lib
//   api ─► core ─► scheduler · store · engine · bus · build ─► model ─► lib
//
// The client is its own package (packages/client, `eru-client`): what uses it imports it by that name;
// eslint.config.js keeps it out of the servers' layers and keeps it free of any runtime dependency.
//
// A file belongs to the longest folder below that holds it; it may import from its own folder and from
// the folders listed for it, by any form of import: `import`, `export … from`, `import()` and
// `typeof import()`. Paths are resolved, not matched as text, so `../../core/x.js` and `./../core/x.js`
// are the same import.
import { dirname, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const SRC = ['lib', 'model', 'contract', 'scheduler', 'store', 'engine', 'bus', 'build', 'core', 'api', 'agent', 'cli', 'web'].map((f) => `src/${f}`);
const src = (...folders) => folders.map((f) => `src/${f}`);

/** What each folder may import (besides itself and npm packages). */
export const ALLOWED = {
  'src/lib': [],
  'src/model': src('lib'),
  'src/contract': src('model', 'lib'),
  'src/scheduler': src('model', 'lib'),
  'src/store': src('lib'),
  'src/engine': src('model', 'lib'),
  'src/bus': src('contract', 'model', 'lib'),
  'src/build': src('engine', 'model', 'lib'),
  'src/core': src('scheduler', 'store', 'engine', 'bus', 'build', 'contract', 'model', 'lib'),
  'src/api': src('core', 'contract', 'model', 'lib'),
  'src/agent': src('engine', 'contract', 'model', 'lib'),
  'src/cli': src('cli/run', 'contract', 'model', 'lib'),
  // The servers behind `eru core`, `eru agent`, `eru plan`, `eru apply`: they compose the lower layers.
  'src/cli/run': SRC.filter((f) => f !== 'src/web'),
  'src/web': src('contract', 'model', 'lib'),
  // Test drivers: they reach Eru as a user does, through the client (and start real processes).
  harness: ['harness', ...src('contract', 'model', 'lib')],
  // Benchmarks: the scheduler and the store are measured directly; bench:ui seeds the store through the
  // core's repositories (which own the key layout); bench:build's baseline builds the Dockerfile Eru
  // generates (build); the rest goes through the harness and the client.
  bench: ['harness', ...src('contract', 'model', 'lib', 'scheduler', 'store', 'bus', 'engine', 'build', 'core')],
  test: ['harness', 'bench', ...SRC, 'src/cli/run'],
};

/** Loaded only on demand (`await import()`), so that what imports them stays light. */
export const DYNAMIC_ONLY = {
  'src/cli': { 'src/cli/run': 'cli/run/ holds servers; load it with `await import()` inside the command' },
};

/** A folder another may import only through its entry module: the API sees the core as `core/index.ts` exports it. */
export const ENTRY_ONLY = {
  'src/api': { 'src/core': 'src/core/index.js' },
};

const FOLDERS = Object.keys(ALLOWED).sort((a, b) => b.length - a.length);

/** The folder of ALLOWED that holds a path relative to the root, or undefined. */
export function folderOf(path) {
  const unix = path.split(sep).join('/');
  return FOLDERS.find((f) => unix === f || unix.startsWith(`${f}/`));
}

/** A file under src/ (or bench/, harness/, test/) in no listed folder: its top folder, for the message. */
function unlisted(path) {
  const parts = path.split(sep);
  if (parts[0] === 'src' && parts.length > 2) return `src/${parts[1]}`;
  return undefined;
}

const stringOf = (node) => {
  if (!node) return undefined;
  if (node.type === 'Literal' && typeof node.value === 'string') return node.value;
  if (node.type === 'TemplateLiteral' && node.expressions.length === 0) return node.quasis[0].value.cooked;
  if (node.type === 'TSLiteralType') return stringOf(node.literal);
  return undefined;
};

/** The rule `eru/layers`. */
export const layersRule = {
  meta: { type: 'problem', schema: [], docs: { description: 'imports run down the layers of DESIGN.md' } },
  create(context) {
    const file = relative(ROOT, context.filename);
    const from = folderOf(file);
    if (!from) {
      const top = unlisted(file);
      if (top) {
        return {
          Program(node) {
            context.report({ node, message: `layering (scripts/layers.mjs): ${top} is not a listed folder; add it to ALLOWED with what it may import` });
          },
        };
      }
      return {};
    }
    const check = (node, specifier, how) => {
      if (specifier === undefined) {
        // Tests may import anything (e.g. the package by its name, as a team would), so only the layers are held to it.
        if (how === 'dynamic' && from !== 'test') context.report({ node, message: 'layering (scripts/layers.mjs): an import() of a computed path cannot be checked; import a literal path' });
        return;
      }
      if (!specifier.startsWith('.')) return;
      const targetPath = relative(ROOT, resolve(dirname(context.filename), specifier)).split(sep).join('/');
      const target = folderOf(targetPath);
      if (!target || target === from) return;
      const entry = ENTRY_ONLY[from]?.[target];
      if (entry && targetPath !== entry) {
        context.report({ node, message: `layering (scripts/layers.mjs): ${from} imports ${target} only through ${entry.replace(/\.js$/, '.ts')}; this import reaches into ${targetPath}` });
        return;
      }
      if (!ALLOWED[from].includes(target)) {
        context.report({
          node,
          message: `layering (scripts/layers.mjs): ${from} may import only ${ALLOWED[from].join(', ') || 'itself'}; this import of ${target} runs up or across the layers of DESIGN.md`,
        });
        return;
      }
      const dynamicOnly = DYNAMIC_ONLY[from]?.[target];
      if (dynamicOnly && how === 'static') context.report({ node, message: `light client (scripts/layers.mjs): ${dynamicOnly}` });
    };
    const declaration = (node) => check(node, stringOf(node.source), node.importKind === 'type' || node.exportKind === 'type' ? 'type' : 'static');
    return {
      ImportDeclaration: declaration,
      ExportNamedDeclaration: (node) => node.source && declaration(node),
      ExportAllDeclaration: declaration,
      ImportExpression: (node) => check(node, stringOf(node.source), 'dynamic'),
      TSImportType: (node) => check(node, stringOf(node.argument), 'type'),
    };
  },
};
