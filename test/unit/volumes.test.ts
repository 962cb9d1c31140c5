import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mooseFsMounts, parseQuota } from '../../src/agent/volumes.js';
import { parseAppYaml } from '../../src/build/appyaml.js';
import { EruError } from '../../src/lib/errors.js';
import { mountHolding, SharedVolumesSchema } from '../../src/model/volume.js';
import { EXAMPLE_APP_YAML } from '../support/example-app.js';

describe('shared volumes', () => {
  it('reads app.yaml volumes per app and per entrypoint, sizes in binary units', () => {
    const app = parseAppYaml(`${EXAMPLE_APP_YAML}shared: [{name: data, path: /data, size: 10GiB}]\n`);
    assert.deepEqual(app.shared, [{ name: 'data', path: '/data', size: 10 * 1024 ** 3 }]);
  });

  it('refuses names that are not one DNS label, mount paths of / or with .., and a name or path given twice', () => {
    const problems = (volumes: unknown): string[] => {
      const result = SharedVolumesSchema.safeParse(volumes);
      return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    };
    assert.match(problems([{ name: '../etc', path: '/data' }])[0]!, /^0\.name: /);
    assert.match(problems([{ name: 'a/b', path: '/data' }])[0]!, /^0\.name: /);
    assert.match(problems([{ name: 'data', path: '/' }])[0]!, /^0\.path: a volume cannot be mounted at \/ itself/);
    assert.match(problems([{ name: 'data', path: '/x/../etc' }])[0]!, /^0\.path: .*"\.\."/);
    assert.match(problems([{ name: 'data', path: 'relative' }])[0]!, /^0\.path: an absolute path/);
    assert.match(problems([{ name: 'data', path: '/a' }, { name: 'data', path: '/b' }])[0]!, /^1\.name: volume data is given twice/);
    assert.match(problems([{ name: 'a', path: '/d' }, { name: 'b', path: '/d' }])[0]!, /^1\.path: two volumes at \/d/);
    assert.match(problems([{ name: 'data', path: '/d', size: '1KiB' }])[0]!, /^0\.size: a quota of at least 1MiB/);
    assert.deepEqual(problems([{ name: 'data', path: '/srv/data', size: '10MiB' }]), []);
  });

  it('an app.yaml volume with a hostile name says where it is', () => {
    assert.throws(
      () => parseAppYaml(`${EXAMPLE_APP_YAML}shared: [{name: "..", path: /data}]\n`),
      (error: unknown) => error instanceof EruError && /shared\.0\.name/.test(error.message),
    );
  });

  it('finds MooseFS mounts in mountinfo, escaped spaces included, and nothing else', () => {
    const mountinfo = [
      '45 27 0:39 / /mnt/mfs rw,nosuid,nodev,relatime - fuse mfs\\04310.0.0.1:9421 rw,user_id=0,group_id=0,allow_other',
      '46 27 0:40 / /mnt/with\\040space rw,relatime - fuse mfs#10.0.0.1:9421 rw,user_id=0',
      '47 27 0:41 / /mnt/sshfs rw,relatime - fuse.sshfs host:/ rw',
      '48 27 8:1 / / rw,relatime - ext4 /dev/sda1 rw',
    ].join('\n');
    assert.deepEqual(mooseFsMounts(mountinfo), ['/mnt/mfs', '/mnt/with space']);
  });

  it('a root is on MooseFS only inside a mount, not beside it', () => {
    assert.equal(mountHolding('/mnt/mfs/eru', ['/mnt/mfs']), '/mnt/mfs');
    assert.equal(mountHolding('/mnt/mfs', ['/mnt/mfs']), '/mnt/mfs');
    assert.equal(mountHolding('/mnt/mfs2/eru', ['/mnt/mfs']), undefined);
    assert.equal(mountHolding('/mnt/mfs/eru', []), undefined);
    assert.equal(mountHolding('/mnt/mfs/a/eru', ['/mnt/mfs', '/mnt/mfs/a']), '/mnt/mfs/a');
  });

  it('reads use and hard quota from mfsgetquota -n', () => {
    const text = [
      '/mnt/mfs/eru/app/data: (current values | soft quota | hard quota) ; soft quota grace period: default',
      ' inodes   |                    2 |                    - |                    - |',
      ' length   |              5242880 |                    - |             10485760 |',
      ' size     |              5259264 |                    - |                    - |',
    ].join('\n');
    assert.deepEqual(parseQuota(text), { used: 5242880, quota: 10485760 });
    assert.deepEqual(parseQuota(text.replace('10485760', '        -')), { used: 5242880 });
  });
});
