/**
 * CLI start-up benchmark (`npm run bench:cli`): what a person waits for and what the process costs,
 * for client commands, measured as a new user runs them (whole process, median of 7):
 *   - `eru pod ls --json` and `eru ps --json` against a real core (embedded store, one node, a few workloads);
 *   - `docker ps`, the baseline a Docker user knows, in the same run.
 * Wall time and peak RSS come from python3's getrusage(RUSAGE_CHILDREN) around each run, so the
 * figure is the child's own. Targets: `eru pod ls` ≤ 120 ms and ≤ 60 MiB.
 * `--bin PATH` measures another build of eru's main.js (e.g. an older checkout) against the same core.
 */
import { execFileSync } from 'node:child_process';
import { CoreProcess, TEST_TOKEN, tempDir } from '../harness/core.js';
import { ERU_BIN } from '../harness/cli.js';
import { BASE_IMAGE, removePodContainers, testDocker } from '../harness/docker.js';

const RUNS = 7;
const MEASURE = `
import resource, subprocess, sys, time
start = time.perf_counter()
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
print(time.perf_counter() - start, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
`;
import { median } from './support/figures.js';

interface Figure {
  wallMs: number;
  rssMiB: number;
}

function once(argv: string[]): Figure {
  const [seconds, kib] = execFileSync('python3', ['-c', MEASURE, ...argv], { encoding: 'utf8' }).trim().split(' ').map(Number);
  return { wallMs: seconds! * 1000, rssMiB: kib! / 1024 };
}

function medianRun(argv: string[]): Figure {
  once(argv); // warm the file cache
  const runs = Array.from({ length: RUNS }, () => once(argv));
  return { wallMs: median(runs.map((r) => r.wallMs)), rssMiB: median(runs.map((r) => r.rssMiB)) };
}

async function main(): Promise<void> {
  const binIndex = process.argv.indexOf('--bin');
  const bin = binIndex > 0 ? process.argv[binIndex + 1]! : ERU_BIN;
  const dir = await tempDir('eru-bench-cli-');
  const core = await CoreProcess.start(`embedded:${dir.path}/eru.db`);
  const docker = testDocker('unix:///var/run/docker.sock');
  try {
    await core.client.pods.create({ name: 'clibench', sharebase: 100 });
    await core.client.nodes.add('clibench', { name: 'local', endpoint: 'unix:///var/run/docker.sock' });
    const deployed = await core.client.deploy({ pod: 'clibench', app: 'bench', image: BASE_IMAGE, command: ['sleep', '600'], cpu: 0.05, count: 5 });
    if (!deployed.ok) throw new Error(deployed.error.message);
    const eru = (args: string[]): string[] => [process.execPath, bin, '--url', core.url, '--token', TEST_TOKEN, ...args];
    const rows: Array<[string, Figure]> = [
      ['eru pod ls --json', medianRun(eru(['pod', 'ls', '--json']))],
      ['eru ps --json', medianRun(eru(['ps', '--json']))],
      ['docker ps (baseline)', medianRun(['docker', 'ps'])],
    ];
    console.log(`client commands, whole process, median of ${RUNS} (${bin}):`);
    for (const [what, figure] of rows) console.log(`  ${what.padEnd(22)} ${figure.wallMs.toFixed(0).padStart(5)} ms  ${figure.rssMiB.toFixed(0).padStart(4)} MiB`);
    const [podLs, , dockerPs] = rows.map(([, f]) => f);
    console.log(`ratios to docker ps: eru pod ls ×${(podLs!.wallMs / dockerPs!.wallMs).toFixed(1)} wall, ×${(podLs!.rssMiB / dockerPs!.rssMiB).toFixed(1)} memory`);
    const ok = podLs!.wallMs <= 120 && podLs!.rssMiB <= 60;
    console.log(`target: eru pod ls ≤ 120 ms and ≤ 60 MiB: ${ok ? 'ok' : 'MISSED'}`);
  } finally {
    await removePodContainers(docker, 'clibench');
    await core.stop();
    await dir.remove();
  }
}

await main();
