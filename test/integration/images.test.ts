import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CoreProcess, tempDir } from '../support/core.js';
import { BASE_IMAGE, removePodContainers } from '../support/docker.js';
import { ExtraDaemon } from '../support/dockerd.js';
import { uniqueSuffix } from '../support/services.js';

describe('eru image base: a base image made from Debian busybox-static on the nodes of a pod', () => {
  it('makes local/busybox:1 on a node that lacks it, a line per node; a job then runs on it; again is a no-op', async () => {
    const extra = await ExtraDaemon.start(4);
    const dir = await tempDir('eru-base-');
    const core = await CoreProcess.start(`embedded:${dir.path}/eru.db`);
    const pod = `base-${uniqueSuffix()}`;
    try {
      await extra.docker.getImage(BASE_IMAGE).remove({ force: true });
      await core.api('POST', '/v1/pods', { name: pod });
      assert.equal((await core.api('POST', `/v1/pods/${pod}/nodes`, { name: 'bare', endpoint: extra.endpoint, cpus: ['0'] })).status, 201);

      const made = await core.eru(['image', 'base', 'busybox', '--pod', pod]);
      assert.equal(made.code, 0, made.stderr);
      assert.match(made.stdout, /^bare: made local\/busybox:1 \([0-9a-f]{12}\)$/m);
      const image = await extra.docker.getImage(BASE_IMAGE).inspect();
      assert.deepEqual(image.Config.Env, ['PATH=/bin']);

      const job = await core.eru(['run', '--pod', pod, '--image', BASE_IMAGE, '--cpu', '0.1', '--', 'sh', '-c', 'echo $((6*7)); ls -ld /tmp']);
      assert.equal(job.code, 0, job.stderr);
      assert.match(job.stdout, /^42\ndrwxrwxrwt /);

      const again = JSON.parse((await core.eru(['image', 'base', 'busybox', '--pod', pod, '--json'])).stdout.split('\n')[0]!) as { made: boolean; id: string };
      assert.deepEqual([again.made, again.id], [false, image.Id]);

      const unknown = await core.eru(['image', 'base', 'alpine', '--pod', pod]);
      assert.equal(unknown.code, 1);
      assert.match(unknown.stderr, /"alpine" is not a base Eru can make \(busybox\)/);
      const ghost = await core.eru(['image', 'base', 'busybox', '--pod', 'ghost']);
      assert.equal(ghost.code, 1);
      assert.match(ghost.stderr, /pod ghost/);
    } finally {
      await removePodContainers(extra.docker, pod);
      await core.stop();
      await extra.stop();
      await dir.remove();
    }
  });
});
