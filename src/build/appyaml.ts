import { isMap, isSeq, parseDocument, type Document, type Node as YamlNode } from 'yaml';
import { z } from 'zod';
import { EruError, pathText, ErrorCode } from '../lib/errors.js';
import { DnsLabelSchema } from '../model/names.js';
import { EntrypointNameSchema, RestartSchema } from '../model/workload.js';
import { SharedVolumesSchema } from '../model/volume.js';
import { MemorySizeSchema } from '../lib/validate.js';

/**
 * app.yaml: what a team writes instead of a Dockerfile. Everything in it is data: names are checked
 * to be what they claim, paths stay inside their roots, and commands reach a shell only inside the
 * app's own container (as `sh -c` argv or JSON-form RUN lines), never on a host.
 */
const SafePath = (what: string) =>
  z
    .string()
    .min(1)
    .max(1024)
    .regex(/^\/[A-Za-z0-9._/-]*$/, `${what}: an absolute path of letters, digits and . _ / -`)
    .refine((p) => !p.split('/').includes('..'), `${what}: may not contain ".."`);

const Command = z.string().min(1).max(4096).refine((c) => !c.includes('\0'), 'no NUL characters');

/** A file of the repository, by its path from the top: what a dependency step is rebuilt for when it changes. */
const RepositoryFile = z
  .string()
  .min(1)
  .max(1024)
  .regex(/^[A-Za-z0-9._-][A-Za-z0-9._/-]*$/, 'a path in the repository: letters, digits and . _ / -, not starting with /')
  .refine((p) => p.split('/').every((part) => part !== '' && part !== '.' && part !== '..'), 'a plain path: no empty, "." or ".." parts');

/**
 * `build:` — a list of commands run after the code is copied in; or `{deps, commands}`, where `deps`
 * names the files a dependency step needs (`package.json`, `requirements.txt`) and its commands: these
 * are copied and run before the rest of the code, so a version that changes only code reuses that
 * layer from the node's build cache.
 */
const BuildSchema = z
  .union([
    z.array(Command).max(64),
    z
      .object({
        deps: z.object({ files: z.array(RepositoryFile).min(1).max(64), commands: z.array(Command).min(1).max(64) }).strict().optional(),
        commands: z.array(Command).max(64).default([]),
      })
      .strict(),
  ])
  .optional()
  .transform((build) => (build === undefined ? { commands: [] } : Array.isArray(build) ? { commands: build } : build));

/** Seconds, or a duration such as `90s`, `10m` or `1h`. */
const Seconds = (max: number) =>
  z
    .union([z.number().int().min(1), z.string().regex(/^\d{1,5}[smh]$/, 'seconds, or a duration such as 90s, 10m or 1h').transform((t) => Number(t.slice(0, -1)) * { s: 1, m: 60, h: 3600 }[t.slice(-1) as 's' | 'm' | 'h'])])
    .refine((s) => s <= max, `at most ${max} s`);

/** `test:` — commands run in the built image, in a throwaway container, before a version may be deployed. */
const TestSchema = z
  .object({
    cmd: Command.optional(),
    commands: z.array(Command).min(1).max(64).optional(),
    /** Past this the test container is killed and the version fails (default 10 minutes). */
    timeout: Seconds(6 * 3600).default(600),
  })
  .strict()
  .refine((t) => (t.cmd === undefined) !== (t.commands === undefined), 'give cmd (one shell command) or commands (run in order, stopping at the first that fails), one of them');

/** What the test container holds on its node (default one CPU and the pod's default memory). */
const TestResourcesSchema = z
  .object({
    cpu: z.number().min(0.001).max(1024).optional(),
    memory: MemorySizeSchema.optional(),
  })
  .strict();

const EntrypointSchema = z
  .object({
    cmd: Command.optional(),
    commands: z.array(z.string().max(4096)).min(1).max(256).optional(),
    ports: z.array(z.string().regex(/^\d{1,5}(\/(tcp|udp))?$/, 'a port is NUMBER[/tcp|udp]')).max(64).default([]),
    healthcheck: z
      .object({
        tcp_ports: z.array(z.union([z.string().regex(/^\d{1,5}$/), z.number().int()]).transform(Number)).max(16).default([]),
        http: z
          .object({
            port: z.union([z.string().regex(/^\d{1,5}$/), z.number().int()]).transform(Number),
            url: z.string().max(512).regex(/^\/[A-Za-z0-9._~/-]*$/, 'a path of letters, digits and . _ ~ / -').default('/'),
            code: z.number().int().min(100).max(599).default(200),
          })
          .strict()
          .optional(),
      })
      .strict()
      .optional(),
    restart: RestartSchema.optional(),
    dir: SafePath('dir').optional(),
    /** Commands run inside each container through exec: after it starts, before it stops. */
    hooks: z
      .object({
        after_start: z.array(Command).max(16).default([]),
        before_stop: z.array(Command).max(16).default([]),
        /** A failing after_start fails the instance's deploy; a failing before_stop aborts the stop. */
        force: z.boolean().default(false),
      })
      .strict()
      .optional(),
    /** Seconds the container runs without its CPU quota at start (until healthy, or this long). */
    startup_boost: z.union([z.number().int().min(1).max(3600), z.string().regex(/^\d{1,4}s$/, 'seconds, e.g. 30s').transform((s) => Number(s.slice(0, -1)))]).optional(),
    /** Shared volumes of this entrypoint, besides (or instead of, by name) the app's. */
    shared: SharedVolumesSchema.optional(),
  })
  .strict()
  .refine((e) => (e.cmd === undefined) !== (e.commands === undefined), 'give cmd (a string) or commands (a list), one of them');

export const AppYamlSchema = z
  .object({
    appname: DnsLabelSchema,
    base: z.string().min(1).max(256).regex(/^[\w./:@-]+$/, 'an image reference is letters, digits and . / : @ - _'),
    build: BuildSchema,
    test: TestSchema.optional(),
    test_resources: TestResourcesSchema.optional(),
    entrypoints: z.record(EntrypointNameSchema, EntrypointSchema).refine((e) => Object.keys(e).length > 0, 'at least one entrypoint'),
    volumes: z.array(SafePath('volume')).max(64).default([]),
    binds: z
      .record(SafePath('bind source'), z.object({ bind: SafePath('bind target'), ro: z.boolean().default(false) }).strict())
      .default({}),
    /** Shared volumes (MooseFS) every entrypoint mounts: `{name, path, size}`, the directory `{shared root}/{app}/{name}`. */
    shared: SharedVolumesSchema.default([]),
    /** Free-form facts about the app; each becomes a container label `eru.meta.KEY`. */
    meta: z.record(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'a meta key is letters, digits and . _ - (up to 128)'), z.string().max(1024)).default({}),
  })
  .strict();
export type AppYaml = z.infer<typeof AppYamlSchema>;

const MAX_APP_YAML = 256 * 1024;

/** Parses app.yaml text; an error names the field's path and its line. */
export function parseAppYaml(text: string): AppYaml {
  if (text.length > MAX_APP_YAML) throw new EruError(ErrorCode.INVALID_ARGUMENT, `app.yaml is over ${MAX_APP_YAML / 1024} KiB`, { path: ['app.yaml'] });
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    const first = doc.errors[0]!;
    throw new EruError(ErrorCode.INVALID_ARGUMENT, `app.yaml line ${first.linePos?.[0]?.line ?? '?'}: ${first.message.split('\n')[0]}`, { path: ['app.yaml'] });
  }
  const result = AppYamlSchema.safeParse(doc.toJS());
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
  const line = lineOf(doc, text, path);
  // A bad map key (an entrypoint or bind name) says why through its nested issue.
  const nested = (issue as { issues?: Array<{ message: string }> }).issues?.[0]?.message;
  const message = issue.code === 'invalid_key' && nested ? `bad name: ${nested}` : issue.message;
  throw new EruError(ErrorCode.INVALID_ARGUMENT, `app.yaml${line ? ` line ${line}` : ''}: ${pathText(path) || '(top)'}: ${message}`, {
    path: ['app.yaml', ...path],
  });
}

/** The line of the deepest node of `path` that exists in the document. */
function lineOf(doc: Document, text: string, path: Array<string | number>): number | undefined {
  let node: unknown = doc.contents;
  let offset: number | undefined = (node as YamlNode | null)?.range?.[0];
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((item) => (item.key as { value?: unknown } | null)?.value === key);
      if (!pair) break;
      offset = (pair.key as YamlNode).range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof key === 'number') {
      node = node.items[key];
      offset = (node as YamlNode | undefined)?.range?.[0] ?? offset;
    } else break;
  }
  return offset === undefined ? undefined : text.slice(0, offset).split('\n').length;
}
