import type { Duplex } from 'node:stream';
import type { ExecBody, ExecView } from '../../contract/exec.js';
import { engineMessage, isMissing } from '../../engine/engines.js';
import { EruError, ErrorCode, conflict, notFound } from '../../lib/errors.js';
import type { Node } from '../../model/node.js';
import type { Workload } from '../../model/workload.js';
import type { CoreContext } from '../context.js';
import type { Versioned } from '../repositories.js';

/**
 * `eru exec`: a command in a workload's container, through the core (the client never talks to
 * Docker). Made in two steps, as Docker does: the exec is created (an id on the workload's node), then
 * attached over an HTTP upgrade (api/exec.ts) that carries stdin, stdout and stderr, with a TTY when
 * asked; a TTY can be resized; the exit code is read once it is done.
 */
export class ExecService {
  constructor(private readonly context: CoreContext) {}

  async create(find: () => Promise<Versioned<Workload>>, body: ExecBody): Promise<ExecView> {
    const { value: workload } = await find();
    const node = await this.node(workload.node);
    const container = this.context.engines.get(node).getContainer(workload.id);
    const state = await container.inspect().catch((error: unknown) => {
      throw isMissing(error) ? notFound('container of workload', workload.id) : new EruError(ErrorCode.ENGINE_ERROR, engineMessage(error));
    });
    if (!state.State.Running) throw conflict(`${workload.id} is not running (${state.State.Status}, exit ${state.State.ExitCode}): nothing to exec into`);
    const exec = await container.exec({
      Cmd: body.cmd,
      AttachStdin: body.stdin,
      AttachStdout: true,
      AttachStderr: true,
      Tty: body.tty,
      ...(body.env ? { Env: Object.entries(body.env).map(([k, v]) => `${k}=${v}`) } : {}),
      ...(body.user ? { User: body.user } : {}),
      ...(body.workdir ? { WorkingDir: body.workdir } : {}),
    });
    return { workload: workload.id, node: node.name, exec: exec.id, tty: body.tty, stdin: body.stdin };
  }

  /** The exec's stream: raw bytes with a TTY, Docker's multiplexed stdout/stderr frames without. */
  async attach(nodeName: string, execId: string, tty: boolean): Promise<Duplex> {
    const node = await this.node(nodeName);
    try {
      return (await this.context.engines.get(node).getExec(execId).start({ hijack: true, stdin: true, Tty: tty })) as unknown as Duplex;
    } catch (error) {
      throw isMissing(error) ? notFound('exec', execId) : new EruError(ErrorCode.ENGINE_ERROR, engineMessage(error));
    }
  }

  async resize(nodeName: string, execId: string, size: { h: number; w: number }): Promise<void> {
    const node = await this.node(nodeName);
    await this.context.engines.get(node).getExec(execId).resize(size).catch((error: unknown) => {
      throw isMissing(error) ? notFound('exec', execId) : new EruError(ErrorCode.ENGINE_ERROR, engineMessage(error));
    });
  }

  async inspect(nodeName: string, execId: string): Promise<{ running: boolean; exitCode: number | null }> {
    const node = await this.node(nodeName);
    const info = await this.context.engines.get(node).getExec(execId).inspect().catch((error: unknown) => {
      throw isMissing(error) ? notFound('exec', execId) : new EruError(ErrorCode.ENGINE_ERROR, engineMessage(error));
    });
    return { running: info.Running, exitCode: info.Running ? null : info.ExitCode };
  }

  private async node(name: string): Promise<Node> {
    const node = await this.context.repos.nodes.get(name);
    if (!node) throw notFound('node', name);
    return node.value;
  }
}
