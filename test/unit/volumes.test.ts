import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ensureDirectory, mooseFsMounts, mooseFsMountOf, parseQuota, removeDirectory } from '../../src/agent/volumes.js';
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

/**
 * The agent's three link checks, each alone: a link planted where only that check looks. Each test
 * fails when its check is taken out (the other checks do not look there).
 */
describe('shared volumes: the agent never follows a link', () => {
  const top = mkdtempSync(join(tmpdir(), 'eru-links-'));
  after(() => rmSync(top, { recursive: true, force: true }));
  /** A directory outside the shared root, with a file in it, that a planted link points to. */
  const outside = (name: string): string => {
    const dir = join(top, `${name}-outside`);
    mkdirSync(dir, { mode: 0o700 });
    writeFileSync(join(dir, 'precious'), 'keep me');
    return dir;
  };

  it('a volume directory that is a link: refused, and the place it points to keeps its owner and mode', async () => {
    const target = outside('ensure');
    const link = join(top, 'ensure-volume');
    symlinkSync(target, link);
    await assert.rejects(ensureDirectory(link, 10001, 0o750), new RegExp(`${link} is a symbolic link \\(to ${target}\\)`));
    assert.deepEqual([statSync(target).uid, statSync(target).mode & 0o777], [process.getuid!(), 0o700]);
    assert.ok(lstatSync(link).isSymbolicLink());
    // A dangling link (to where a directory could be made) is refused too, and nothing is made there.
    const dangling = join(top, 'ensure-dangling');
    symlinkSync(join(top, 'nothing-here'), dangling);
    await assert.rejects(ensureDirectory(dangling, 10001, 0o750), /is a symbolic link/);
    assert.equal(existsSync(join(top, 'nothing-here')), false);
    // And a real directory is made, owned by the uid.
    await ensureDirectory(join(top, 'made'), 10001, 0o750);
    assert.deepEqual([statSync(join(top, 'made')).uid, statSync(join(top, 'made')).mode & 0o777], [10001, 0o750]);
  });

  it('removing a volume whose directory is a link: refused, the link and what it points to stay', async () => {
    const target = outside('remove');
    const link = join(top, 'remove-volume');
    symlinkSync(target, link);
    await assert.rejects(removeDirectory(link), new RegExp(`${link} is a symbolic link`));
    assert.ok(lstatSync(link).isSymbolicLink(), 'the link is not reported gone');
    assert.equal(readFileSync(join(target, 'precious'), 'utf8'), 'keep me');
    // A real directory goes, with what it holds.
    mkdirSync(join(top, 'gone', 'sub'), { recursive: true });
    await removeDirectory(join(top, 'gone'));
    assert.equal(existsSync(join(top, 'gone')), false);
  });

  it('a shared root that leads off the mount through a link: refused', async () => {
    const mount = join(top, 'mfs');
    mkdirSync(mount);
    const target = outside('root');
    symlinkSync(target, join(mount, 'eru'));
    await assert.rejects(mooseFsMountOf(join(mount, 'eru'), [mount]), new RegExp(`leads to ${target}, which is not on MooseFS`));
    assert.equal(await mooseFsMountOf(join(mount, 'real-root'), [mount]), mount);
    await assert.rejects(mooseFsMountOf('/srv/elsewhere', [mount]), /is not on a MooseFS mount/);
  });
});
