import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import type { EruClient } from 'eru-client';
import type { ApplyEvent } from '../../contract/events.js';
import type { ApplyStep } from '../../contract/services.js';
import { EruError, ErrorCode, invalid } from '../../lib/errors.js';

/**
 * `eru apply FILE`, loaded on demand: the file read here, the plan and the steps made by the core
 * (`PUT /v1/services`, core/apply/), shown as they come.
 */
export async function runApply(client: EruClient, file: string, options: { dryRun: boolean; allowUntested?: boolean; json: boolean }): Promise<void> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw invalid(['file'], `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (error) {
    throw new EruError(ErrorCode.INVALID_ARGUMENT, `${file}: not valid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) throw invalid(['file'], `${file}: give a mapping with services: [...]`);
  const say = (line: string): void => {
    if (!options.json) console.log(line);
  };
  const result = await client.follow<ApplyEvent>('PUT', '/v1/services', { ...data, dryRun: options.dryRun, ...(options.allowUntested ? { allowUntested: true } : {}) }, (event) => {
    if (options.json) return;
    if (event.type === 'plan') {
      if (event.steps.length === 0) say('nothing to do: every service is as the file says');
      else for (const step of event.steps) say(`${options.dryRun ? 'would ' : ''}${step.change}`);
    } else if (event.type === 'started') say(`  started ${event.id} on ${event.node}`);
    else if (event.type === 'removed') say(`  removed ${event.id}`);
    else if (event.type === 'note') say(`  ${event.message}`);
  });
  if (result.type !== 'result') return;
  if (options.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  if (result.failed) {
    const { error, ...step } = result.failed;
    const total = result.done.length + 1 + result.undone.length;
    throw new EruError(error.code, `apply stopped at "${step.change}": ${error.message}; ${result.done.length} of ${total} step(s) done${notDone(result.undone)}`);
  }
  if (result.error) throw new EruError(result.error.code, `apply stopped: ${result.error.message}${notDone(result.undone)}`);
}

function notDone(undone: ApplyStep[]): string {
  return undone.length > 0 ? `, not done: ${undone.map((s) => s.change).join('; ')}` : '';
}
