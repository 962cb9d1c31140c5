import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readDelivery, verifyDelivery } from '../../src/core/pipeline/hook.js';
import { EruError } from '../../src/lib/errors.js';

const badSignature = (error: unknown): boolean => error instanceof EruError && error.code === 'BAD_SIGNATURE';

/** GitLab's documented push event (docs: user/project/integrations/webhook_events, "Push events"), trimmed. */
const GITLAB_PUSH = {
  object_kind: 'push',
  event_name: 'push',
  before: '95790bf891e76fee5e1747ab589903a6a1f80f22',
  after: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7',
  ref: 'refs/heads/master',
  checkout_sha: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7',
  user_username: 'jsmith',
  project: { id: 15, name: 'Diaspora', git_http_url: 'http://example.com/mike/diaspora.git' },
  total_commits_count: 4,
};

/** GitHub's push event (docs: webhooks/webhook-events-and-payloads#push), the fields Eru reads. */
const GITHUB_PUSH = {
  ref: 'refs/heads/main',
  before: '6113728f27ae82c7b1a177c8d03f9e96e0adf246',
  after: '0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c',
  created: false,
  deleted: false,
  pusher: { name: 'octocat', email: 'octocat@github.com' },
  repository: { full_name: 'octo-org/hello', clone_url: 'https://github.com/octo-org/hello.git' },
};

describe('webhook deliveries (core/pipeline/hook.ts)', () => {
  it("checks GitHub's signature as GitHub documents it", () => {
    // The example of GitHub's "Validating webhook deliveries": this secret and payload give this signature.
    const body = Buffer.from('Hello, World!');
    const signature = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';
    assert.equal(verifyDelivery({ 'x-hub-signature-256': signature }, body, "It's a Secret to Everybody"), 'github');
    assert.throws(() => verifyDelivery({ 'x-hub-signature-256': signature }, body, 'another secret'), badSignature);
    assert.throws(() => verifyDelivery({ 'x-hub-signature-256': signature }, Buffer.from('Hello, World?'), "It's a Secret to Everybody"), badSignature);
    assert.throws(() => verifyDelivery({ 'x-hub-signature-256': 'sha256=00' }, body, "It's a Secret to Everybody"), badSignature);
    assert.throws(() => verifyDelivery({}, body, "It's a Secret to Everybody"), (e: unknown) => badSignature(e) && /unsigned/.test((e as Error).message));
  });

  it("checks GitLab's token", () => {
    assert.equal(verifyDelivery({ 'x-gitlab-token': 's3cret' }, Buffer.from('{}'), 's3cret'), 'gitlab');
    assert.throws(() => verifyDelivery({ 'x-gitlab-token': 's3cre' }, Buffer.from('{}'), 's3cret'), badSignature);
  });

  it('reads a push of each, a ping, and leaves other events, tags and deleted branches alone', () => {
    const github = Buffer.from(JSON.stringify(GITHUB_PUSH));
    assert.deepEqual(readDelivery('github', { 'x-github-event': 'push', 'x-github-delivery': 'd-1' }, github), {
      kind: 'push',
      push: { provider: 'github', branch: 'main', sha: GITHUB_PUSH.after, pusher: 'octocat', delivery: 'd-1' },
    });
    // GitHub's form encoding: the JSON is the `payload` field.
    const form = Buffer.from(`payload=${encodeURIComponent(JSON.stringify(GITHUB_PUSH))}`);
    assert.equal((readDelivery('github', { 'x-github-event': 'push', 'content-type': 'application/x-www-form-urlencoded' }, form) as { push: { sha: string } }).push.sha, GITHUB_PUSH.after);
    assert.deepEqual(readDelivery('gitlab', { 'x-gitlab-event': 'Push Hook', 'x-gitlab-event-uuid': 'u-1' }, Buffer.from(JSON.stringify(GITLAB_PUSH))), {
      kind: 'push',
      push: { provider: 'gitlab', branch: 'master', sha: GITLAB_PUSH.after, pusher: 'jsmith', delivery: 'u-1' },
    });
    assert.deepEqual(readDelivery('github', { 'x-github-event': 'ping' }, Buffer.from('{}')), { kind: 'ping' });
    assert.equal(readDelivery('github', { 'x-github-event': 'issues' }, github).kind, 'ignored');
    assert.equal(readDelivery('github', { 'x-github-event': 'push' }, Buffer.from(JSON.stringify({ ...GITHUB_PUSH, ref: 'refs/tags/v1' }))).kind, 'ignored');
    assert.equal(readDelivery('github', { 'x-github-event': 'push' }, Buffer.from(JSON.stringify({ ...GITHUB_PUSH, deleted: true, after: '0'.repeat(40) }))).kind, 'ignored');
    assert.throws(() => readDelivery('github', { 'x-github-event': 'push' }, Buffer.from('not json')), /not a JSON object/);
    assert.throws(() => readDelivery('gitlab', { 'x-gitlab-event': 'Push Hook' }, Buffer.from(JSON.stringify({ ...GITLAB_PUSH, after: '$(id)' }))), /names no commit/);
  });

});
