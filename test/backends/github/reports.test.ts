import { setupServer } from 'msw/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitHubGraphQL } from '../../../src/backends/github/client.js';
import { GitHubReports } from '../../../src/backends/github/reports.js';
import type { FailureReport } from '../../../src/ports/reports.js';
import { fixFor } from '../../../src/reasons.js';
import { FakeGitHub, GRAPHQL_URL, githubSchema } from './fake.js';

const fake = new FakeGitHub();
fake.repos.add('conda-forge/numpy-feedstock');
fake.repos.add('conda-forge/admin-alerts');
const server = setupServer(fake.handler());
beforeAll(() => {
  githubSchema();
  server.listen({ onUnhandledRequest: 'error' });
});
afterAll(() => server.close());

const sink = (): GitHubReports =>
  new GitHubReports(
    new GitHubGraphQL({ url: GRAPHQL_URL, token: 'ghp_SECRET', sleep: async () => {} }),
    'conda-forge/{feedstock}-feedstock',
    'conda-forge/admin-alerts',
  );
const failure = (filename: string, extra: Partial<FailureReport> = {}): FailureReport => ({
  feedstock: 'numpy',
  commit: 'c0ffee'.padEnd(40, '0'),
  runUrl: 'https://github.com/conda-forge/numpy-feedstock/actions/runs/1',
  subdir: 'linux-64',
  filename,
  label: 'main',
  reason: 'ARTIFACT_UNSAFE',
  fix: fixFor('ARTIFACT_UNSAFE'),
  detail: 'path "../x" contains ".."',
  ...extra,
});

describe('failure reports as GitHub issues', () => {
  it('opens one issue per feedstock and commit in the repository the template names', async () => {
    await sink().sendFailures([failure('numpy-2.0-py312h0_0.conda'), failure('numpy-2.0-py313h0_0.conda')]);
    expect(fake.issues).toHaveLength(1);
    expect(fake.issues[0]).toMatchObject({
      repo: 'conda-forge/numpy-feedstock',
      title: 'forgegate: artifacts from commit c0ffee000000 were not published',
    });
    expect(fake.issues[0]!.body).toContain('<!-- forgegate:report feedstock=numpy commit=c0ffee');
    expect(fake.issues[0]!.body.match(/\*\*ARTIFACT_UNSAFE\*\*/g)).toHaveLength(2);
  });

  it('updates that issue (body and a comment) when more failures arrive, and never duplicates — even with no memory', async () => {
    await sink().sendFailures([
      failure('numpy-2.0-py312h0_0.conda'),
      failure('numpy-2.0-py314h0_0.conda', { reason: 'DIGEST_MISMATCH' }),
    ]);
    await sink().sendFailures([failure('numpy-2.0-py312h0_0.conda')]);
    expect(fake.issues).toHaveLength(1);
    expect(fake.issues[0]!.body.match(/forgegate:failure/g)).toHaveLength(3);
    expect(fake.issues[0]!.comments).toHaveLength(1);
    expect(fake.issues[0]!.comments[0]).toContain('numpy-2.0-py314h0_0.conda');
  });

  it("reports to the registry feedstock's repository even when the statement points elsewhere", async () => {
    // FailureReport carries no repository at all: a statement's source.repository cannot steer where reports go.
    await sink().sendFailures([
      failure('numpy-3.0-h0_0.conda', {
        commit: 'bad'.padEnd(40, '1'),
        runUrl: 'https://github.com/attacker/repo/actions/runs/9',
      }),
    ]);
    expect(fake.issues.map((i) => i.repo)).toEqual(['conda-forge/numpy-feedstock', 'conda-forge/numpy-feedstock']);
    expect(() => sink().repositoryFor('../../etc')).toThrow(/not owner\/name/);
  });

  it('sends unattributed failures and security alerts to the admin repository, once', async () => {
    await sink().sendFailures([
      failure('x-1-0.conda', { feedstock: null, commit: null, reason: 'KEY_UNKNOWN', fix: fixFor('KEY_UNKNOWN') }),
    ]);
    const alert = {
      kind: 'TARGET_CONFIRMATION_MISMATCH' as const,
      subdir: 'noarch',
      filename: 'a-1-0.conda',
      feedstock: 'a',
      detail: 'served other bytes',
    };
    await sink().sendAlert(alert);
    await sink().sendAlert(alert);
    const admin = fake.issues.filter((i) => i.repo === 'conda-forge/admin-alerts');
    expect(admin.map((i) => i.title)).toEqual([
      'forgegate: artifacts without a trusted source commit were not published',
      'forgegate security alert: TARGET_CONFIRMATION_MISMATCH for noarch/a-1-0.conda',
    ]);
  });

  it("opens an alert about a stray with a 100,000-character name and detail within GitHub's limits", async () => {
    const huge = 'x'.repeat(100_000);
    await sink().sendAlert({
      kind: 'STAGING_CHANGED',
      subdir: 'noarch',
      filename: huge,
      feedstock: null,
      detail: huge,
    });
    const issue = fake.issues.at(-1)!;
    expect(issue.title.length).toBeLessThanOrEqual(256);
    expect(issue.title).toMatch(
      /^forgegate security alert: STAGING_CHANGED for noarch\/x+…\(99,\d{3} more characters\)$/,
    );
    expect(issue.body.length).toBeLessThan(2_000);
  });
});
