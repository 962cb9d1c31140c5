#!/usr/bin/env node
import { Command } from 'commander';
import { registerPlan } from './commands/plan.js';

/** The single `eru` executable: the servers (`eru core`, `eru agent`) and every client command. */
export function buildProgram(): Command {
  const program = new Command('eru')
    .description('Eru: precise container placement and scheduling on Docker')
    .version('0.1.0')
    .showHelpAfterError()
    .configureOutput({ outputError: (text, write) => write(`eru: ${text.replace(/^error: /, '')}`) })
    .exitOverride((error) => {
      // commander's own usage errors (unknown option, missing argument) are bad input: exit 1.
      process.exit(error.exitCode === 0 ? 0 : 1);
    });
  registerPlan(program);
  return program;
}

await buildProgram().parseAsync(process.argv);
