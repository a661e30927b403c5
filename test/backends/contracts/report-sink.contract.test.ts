// The ReportSink contract, run by every report backend: report files in an outbox folder, and GitHub issues (the
// schema-validating GraphQL fake). Each fixture reads back what maintainers see: the files, or the issues.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setupServer } from 'msw/node';
import { afterAll, beforeAll } from 'vitest';
import { GitHubGraphQL } from '../../../src/backends/github/client.js';
import { GitHubReports } from '../../../src/backends/github/reports.js';
import { DirectoryOutbox } from '../../../src/backends/local/directory-outbox.js';
import { FakeGitHub, GRAPHQL_URL, githubSchema } from '../github/fake.js';
import { failuresInReport, reportSinkContract, type DeliveredAlert } from './report-sink.contract.js';

const work = mkdtempSync(join(tmpdir(), 'fg-contract-reports-'));
const server = setupServer();
beforeAll(() => {
  githubSchema();
  server.listen({ onUnhandledRequest: 'error' });
});
afterAll(() => {
  server.close();
  rmSync(work, { recursive: true, force: true });
});

/** Every file below `dir`, as paths relative to it. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath, d.name).slice(dir.length + 1));
}

reportSinkContract('DirectoryOutbox (report files)', async () => {
  const root = mkdtempSync(join(work, 'outbox-'));
  return {
    sink: new DirectoryOutbox(root),
    newSink: () => new DirectoryOutbox(root),
    readDelivered: async () => {
      const files = filesUnder(root).filter((f) => f.endsWith('.md'));
      const alerts = files
        .filter((f) => f.startsWith('_alerts/'))
        .map((f): DeliveredAlert => {
          const text = readFileSync(join(root, f), 'utf8');
          const kind = /^# SECURITY ALERT: (\S+)$/m.exec(text)?.[1] ?? '?';
          const [subdir, filename] = (/^Artifact: `([^`]+)`$/m.exec(text)?.[1] ?? '?/?').split('/') as [string, string];
          return { kind, subdir, filename, text };
        });
      const failures = files
        .filter((f) => !f.startsWith('_alerts/'))
        .flatMap((f) => failuresInReport(readFileSync(join(root, f), 'utf8')));
      return { failures, alerts };
    },
    readBodies: async () =>
      filesUnder(root)
        .filter((f) => f.endsWith('.md'))
        .sort()
        .map((f) => readFileSync(join(root, f), 'utf8')),
    close: async () => rmSync(root, { recursive: true, force: true }),
  };
});

reportSinkContract('GitHubReports (issues on the GraphQL fake)', async (feedstocks) => {
  const fake = new FakeGitHub();
  const admin = 'conda-forge/admin-alerts';
  for (const f of feedstocks) fake.repos.add(`conda-forge/${f}-feedstock`);
  fake.repos.add(admin);
  server.use(fake.handler());
  const sink = (): GitHubReports =>
    new GitHubReports(
      new GitHubGraphQL({ url: GRAPHQL_URL, token: 'ghp_SECRET', sleep: async () => {} }),
      'conda-forge/{feedstock}-feedstock',
      admin,
    );
  return {
    sink: sink(),
    newSink: sink,
    readDelivered: async () => {
      // An alert issue opens with its marker, a report issue with the report marker: text further down is detail.
      const alerts = fake.issues
        .map((i) => ({ i, m: /^<!-- forgegate:alert (\S+) ([^/\s]+)\/(\S+) -->/.exec(i.body) }))
        .filter(({ m }) => m !== null)
        .map(({ i, m }): DeliveredAlert => ({ kind: m![1]!, subdir: m![2]!, filename: m![3]!, text: i.body }));
      const failures = fake.issues
        .filter((i) => !i.body.startsWith('<!-- forgegate:alert '))
        .flatMap((i) => {
          const found = failuresInReport(i.body);
          // Reports go to the repository of the registry feedstock; unattributed ones to the administrators.
          for (const d of found)
            if (i.repo !== (d.feedstock === null ? admin : `conda-forge/${d.feedstock}-feedstock`))
              throw new Error(`report for ${d.feedstock ?? 'nobody'} filed in ${i.repo}`);
          return found;
        });
      return { failures, alerts };
    },
    readBodies: async () => fake.issues.flatMap((i) => [i.body, ...i.comments]),
    close: async () => server.resetHandlers(),
  };
});
