import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The example app of the README (examples/hello/app.yaml), shared by the tests that need an app. */
export const EXAMPLE_APP_YAML = readFileSync(fileURLToPath(new URL('../../../examples/hello/app.yaml', import.meta.url)), 'utf8');
