import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { ESLint } from 'eslint';

/** The layering of DESIGN.md, as the lint holds it (eslint.config.js): a wrong import fails, naming the rule. */
const root = fileURLToPath(new URL('../../../', import.meta.url));

async function lint(file: string, code: string): Promise<string[]> {
  const [result] = await new ESLint({ cwd: root }).lintText(code, { filePath: `${root}${file}` });
  return result!.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

describe('layers (eslint.config.js)', () => {
  const wrong: Array<[string, string, string, RegExp]> = [
    ['the scheduler importing the core', 'src/scheduler/x.ts', "import type { Core } from '../core/index.js';\nexport type X = Core;\n", /src\/scheduler may import only model, lib/],
    ['the store importing the model', 'src/store/x.ts', "import type { Pod } from '../model/pod.js';\nexport type X = Pod;\n", /src\/store may import only lib/],
    ['the model importing the scheduler', 'src/model/x.ts', "import { planDeploy } from '../scheduler/plan.js';\nexport const x = planDeploy;\n", /src\/model may import only lib/],
    ['the api going around the core to the store', 'src/api/routes/x.ts', "import { openStore } from '../../store/index.js';\nexport const x = openStore;\n", /src\/api may import only core, contract, model, lib/],
    ['the agent importing the core', 'src/agent/x.ts', "import { createCore } from '../core/index.js';\nexport const x = createCore;\n", /src\/agent may import only client/],
    ['a CLI command importing the core', 'src/cli/commands/x.ts', "import { createCore } from '../../core/index.js';\nexport const x = createCore;\n", /src\/cli may import only client, contract, model, lib/],
    ['a CLI command loading schemas at run time', 'src/cli/commands/x.ts', "import { PodSchema } from '../../model/pod.js';\nexport const x = PodSchema;\n", /light client/],
    ['a CLI command importing a server statically', 'src/cli/commands/x.ts', "import { runCore } from '../run/core.js';\nexport const x = runCore;\n", /load it with `await import\(\)`/],
    ['the client importing zod at run time', 'src/client/x.ts', "import { z } from 'zod';\nexport const x = z;\n", /import zod as a type only/],
  ];
  for (const [what, file, code, message] of wrong) {
    it(`refuses ${what}`, async () => {
      const messages = await lint(file, code);
      assert.ok(messages.some((m) => m.startsWith('@typescript-eslint/no-restricted-imports') && message.test(m)), messages.join('\n') || 'no message at all');
    });
  }

  const right: Array<[string, string, string]> = [
    ['the core importing the scheduler and the store', 'src/core/x.ts', "import { planDeploy } from '../scheduler/plan.js';\nimport type { Store } from '../store/types.js';\nexport const x = planDeploy;\nexport type S = Store;\n"],
    ['a CLI command importing schema types and plain data', 'src/cli/commands/x.ts', "import type { Pod } from '../../model/pod.js';\nimport { LIMIT_MEANING } from '../../model/strategies.js';\nexport const x = LIMIT_MEANING;\nexport type P = Pod;\n"],
    ['a server command composing the core and the api', 'src/cli/run/x.ts', "import { createCore } from '../../core/index.js';\nimport { buildServer } from '../../api/server.js';\nexport const x = [createCore, buildServer];\n"],
  ];
  for (const [what, file, code] of right) {
    it(`allows ${what}`, async () => {
      assert.deepEqual(await lint(file, code), []);
    });
  }
});
