// Builds the dashboard (src/web) into dist/web: one ES module bundle, its CSS and index.html, for the
// core to serve at /ui. Nothing is fetched at run time: Preact is bundled, there is no CDN.
import { build } from 'esbuild';
import { copyFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'web');

await mkdir(out, { recursive: true });
await build({
  entryPoints: [join(root, 'src', 'web', 'main.tsx')],
  bundle: true,
  format: 'esm',
  target: 'es2022',
  platform: 'browser',
  minify: true,
  sourcemap: true,
  jsx: 'automatic',
  jsxImportSource: 'preact',
  outfile: join(out, 'app.js'),
  logLevel: 'warning',
  legalComments: 'none',
});
await copyFile(join(root, 'src', 'web', 'index.html'), join(out, 'index.html'));
await copyFile(join(root, 'src', 'web', 'style.css'), join(out, 'style.css'));
