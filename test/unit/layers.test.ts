import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { ESLint } from 'eslint';

/** The layering of DESIGN.md, as the lint holds it (scripts/layers.mjs): a wrong import fails, naming the rule. */
const root = fileURLToPath(new URL('../../../', import.meta.url));

async function lint(file: string, code: string): Promise<string[]> {
  const [result] = await new ESLint({ cwd: root }).lintText(code, { filePath: `${root}${file}` });
  return result!.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

describe('layers (scripts/layers.mjs, eslint.config.js)', () => {
  const wrong: Array<[string, string, string, string, RegExp]> = [
    ['the scheduler importing the core', 'src/scheduler/x.ts', "import type { Core } from '../core/index.js';\nexport type X = Core;\n", 'eru/layers', /src\/scheduler may import only src\/model, src\/lib; this import of src\/core/],
    ['the store importing the model', 'src/store/x.ts', "import type { Pod } from '../model/pod.js';\nexport type X = Pod;\n", 'eru/layers', /src\/store may import only src\/lib;/],
    ['the model importing the scheduler', 'src/model/x.ts', "import { planDeploy } from '../scheduler/plan.js';\nexport const x = planDeploy;\n", 'eru/layers', /src\/model may import only src\/lib;/],
    ['the model re-exporting the core', 'src/model/x.ts', "export { Core } from '../core/index.js';\n", 'eru/layers', /src\/model may import only src\/lib;/],
    ['the api going around the core to the store', 'src/api/routes/x.ts', "import { openStore } from '../../store/index.js';\nexport const x = openStore;\n", 'eru/layers', /src\/api may import only src\/core, src\/contract, src\/model, src\/lib;/],
    ['the api reaching into a core folder', 'src/api/routes/x.ts', "import type { NodeService } from '../../core/nodes/index.js';\nexport type X = NodeService;\n", 'eru/layers', /src\/api imports src\/core only through src\/core\/index\.ts; this import reaches into src\/core\/nodes\/index\.js/],
    ['the agent importing the core', 'src/agent/x.ts', "import { createCore } from '../core/index.js';\nexport const x = createCore;\n", 'eru/layers', /src\/agent may import only src\/engine,/],
    ['the scheduler loading the core with import()', 'src/scheduler/x.ts', "export const x = async (): Promise<unknown> => import('../core/index.js');\n", 'eru/layers', /this import of src\/core runs up/],
    ['the model naming a core type through typeof import()', 'src/model/x.ts', "export type X = typeof import('../core/index.js');\n", 'eru/layers', /this import of src\/core runs up/],
    ['an import() of a computed path', 'src/core/x.ts', "const where = '../api/server.js';\nexport const x = async (): Promise<unknown> => import(where);\n", 'eru/layers', /computed path cannot be checked/],
    ['a path that only looks different', 'src/scheduler/x.ts', "import type { Core } from './../scheduler/../core/index.js';\nexport type X = Core;\n", 'eru/layers', /this import of src\/core/],
    ['the dashboard importing the core', 'src/web/x.ts', "import type { Core } from '../core/index.js';\nexport type X = Core;\n", 'eru/layers', /src\/web may import only src\/contract,/],
    ['the harness importing the core', 'harness/x.ts', "import { createCore } from '../src/core/index.js';\nexport const x = createCore;\n", 'eru/layers', /harness may import only harness, src\/contract, src\/model, src\/lib;/],
    ['a bench importing the api', 'bench/x.ts', "import { buildServer } from '../src/api/server.js';\nexport const x = buildServer;\n", 'eru/layers', /bench may import only harness,.*this import of src\/api/],
    ['a folder of src/ that is not listed', 'src/newpart/x.ts', 'export const x = 1;\n', 'eru/layers', /src\/newpart is not a listed folder/],
    ['a CLI command importing the core', 'src/cli/commands/x.ts', "import { createCore } from '../../core/index.js';\nexport const x = createCore;\n", 'eru/layers', /src\/cli may import only src\/cli\/run, src\/contract, src\/model, src\/lib;/],
    ['a CLI command importing a server statically', 'src/cli/commands/x.ts', "import { runCore } from '../run/core.js';\nexport const x = runCore;\n", 'eru/layers', /load it with `await import\(\)`/],
    ['a CLI command loading schemas at run time', 'src/cli/commands/x.ts', "import { PodSchema } from '../../model/pod.js';\nexport const x = PodSchema;\n", '@typescript-eslint/no-restricted-imports', /light client/],
    ['the client package importing zod, even as a type', 'packages/client/src/x.ts', "import type { z } from 'zod';\nexport type X = z.ZodType;\n", '@typescript-eslint/no-restricted-imports', /import only its own files and node: builtins; it has no dependency/],
    ['the client package reaching into the repository', 'packages/client/src/x.ts', "import type { Pod } from '../../../src/model/pod.js';\nexport type X = Pod;\n", '@typescript-eslint/no-restricted-imports', /import only its own files/],
    ['the core calling the API through the client', 'src/core/x.ts', "import { EruClient } from 'eru-client';\nexport const x = EruClient;\n", '@typescript-eslint/no-restricted-imports', /the servers do not use the client/],
  ];
  for (const [what, file, code, rule, message] of wrong) {
    it(`refuses ${what}`, async () => {
      const messages = await lint(file, code);
      assert.ok(messages.some((m) => m.startsWith(`${rule}: `) && message.test(m)), messages.join('\n') || 'no message at all');
    });
  }

  const right: Array<[string, string, string]> = [
    ['the core importing the scheduler and the store', 'src/core/x.ts', "import { planDeploy } from '../scheduler/plan.js';\nimport type { Store } from '../store/types.js';\nexport const x = planDeploy;\nexport type S = Store;\n"],
    ['a CLI command importing schema types and plain data', 'src/cli/commands/x.ts', "import type { Pod } from '../../model/pod.js';\nimport { LIMIT_MEANING } from '../../model/strategies.js';\nexport const x = LIMIT_MEANING;\nexport type P = Pod;\n"],
    ['a CLI command loading a server with import()', 'src/cli/commands/x.ts', "export const x = async (): Promise<unknown> => import('../run/core.js');\n"],
    ['a server command composing the core and the api', 'src/cli/run/x.ts', "import { createCore } from '../../core/index.js';\nimport { buildServer } from '../../api/server.js';\nexport const x = [createCore, buildServer];\n"],
    ['the harness using the client', 'harness/x.ts', "import { EruClient } from 'eru-client';\nexport const x = EruClient;\n"],
  ];
  for (const [what, file, code] of right) {
    it(`allows ${what}`, async () => {
      assert.deepEqual(await lint(file, code), []);
    });
  }

  it('lists every folder of src/, and nothing that is not there', async () => {
    const { ALLOWED } = (await import(new URL('../../../scripts/layers.mjs', import.meta.url).href)) as { ALLOWED: Record<string, string[]> };
    const folders = readdirSync(`${root}src`, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => `src/${d.name}`)
      .sort();
    const listed = Object.keys(ALLOWED)
      .filter((f) => /^src\/[^/]+$/.test(f))
      .sort();
    assert.deepEqual(listed, folders);
    for (const [folder, allowed] of Object.entries(ALLOWED)) for (const target of allowed) assert.ok(target in ALLOWED, `${folder} allows ${target}, which is not listed`);
  });
});
