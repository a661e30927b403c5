// Failure reports as GitHub issues: one per feedstock and source commit, in the repository the REGISTRY's feedstock
// name maps to (never the statement's source.repository). Found again by its hidden marker, so a lost ledger never
// duplicates an issue. New failures edit the body (the record) and add a comment (the notification).
import { ForgegateError } from '../../errors.js';
import type { FailureReport, ReportSink, SecurityAlert } from '../../model.js';
import { mdCode } from '../../reports/markdown.js';
import { escapeControl } from '../../util/escape-control.js';
import {
  alertMarker,
  groupReports,
  reportHeader,
  reportMarker,
  reportRow,
  reportTitle,
  unlisted,
} from '../../reports/report-format.js';
import { splitRepository, type GitHubGraphQL } from './client.js';

const REPO = /^[A-Za-z0-9_.-]{1,100}\/[A-Za-z0-9_.-]{1,100}$/;
/** Issues scanned for a marker: the bot's own issues, newest first. */
export const ISSUES_SCANNED = 100;

interface Found {
  repositoryId: string;
  issue: { id: string; body: string } | null;
}

export class GitHubReports implements ReportSink {
  readonly kind = 'github';
  #gh: GitHubGraphQL;
  #template: string;
  #admin: string;
  #viewer: string | null = null;

  constructor(gh: GitHubGraphQL, repositoryTemplate: string, adminRepository: string) {
    this.#gh = gh;
    this.#template = repositoryTemplate;
    this.#admin = adminRepository;
  }

  /** The repository for a registry feedstock name; null (unattributable) goes to the admins. */
  repositoryFor(feedstock: string | null): string {
    const repo = feedstock === null ? this.#admin : this.#template.replaceAll('{feedstock}', feedstock);
    if (!REPO.test(repo) || repo.includes('..'))
      throw new ForgegateError('FG_CONFIG_INVALID', `report repository "${repo}" is not owner/name`, {
        fix: 'Check reports.repositoryTemplate.',
      });
    return repo;
  }

  async #login(): Promise<string> {
    this.#viewer ??= (
      await this.#gh.run<{ viewer: { login: string } }>('who am I', 'query { viewer { login } }')
    ).viewer.login;
    return this.#viewer;
  }

  /** The issue holding `marker`, among the issues this bot opened (the search index lags; a listing does not). */
  async #find(repository: string, marker: string): Promise<Found> {
    const data = await this.#gh.run<{
      repository: { id: string; issues: { nodes: { id: string; body: string }[] } } | null;
    }>(
      'find report issue',
      `query($owner: String!, $name: String!, $login: String!, $n: Int!) { repository(owner: $owner, name: $name) { id
        issues(first: $n, states: [OPEN, CLOSED], filterBy: { createdBy: $login },
          orderBy: { field: CREATED_AT, direction: DESC }) { nodes { id body } } } }`,
      { ...splitRepository(repository), login: await this.#login(), n: ISSUES_SCANNED },
    );
    if (!data.repository)
      throw new ForgegateError('FG_CONFIG_INVALID', `report repository ${repository} not found`, {
        fix: 'Check reports.repositoryTemplate and the token.',
      });
    return {
      repositoryId: data.repository.id,
      // A marker is a line of its own; inside a row it is quoted detail (uploader text), never ours.
      issue: data.repository.issues.nodes.find((i) => i.body.split('\n').some((l) => l.trim() === marker)) ?? null,
    };
  }

  async sendFailures(reports: FailureReport[]): Promise<void> {
    for (const g of groupReports(reports)) {
      const repository = this.repositoryFor(g.feedstock);
      const marker = reportMarker(g.feedstock ?? '_unattributed', g.commit);
      const found = await this.#find(repository, marker);
      if (found.issue === null) {
        const rows = unlisted('', g.reports).map(reportRow).join('\n');
        const body = `${reportHeader(g.feedstock ?? '_unattributed', g.commit)}\n${rows}\n`;
        await this.#gh.run(
          'open report issue',
          `mutation($input: CreateIssueInput!) { createIssue(input: $input) { issue { id } } }`,
          { input: { repositoryId: found.repositoryId, title: reportTitle(g.commit), body } },
        );
        continue;
      }
      const fresh = unlisted(found.issue.body, g.reports);
      if (fresh.length === 0) continue;
      const rows = fresh.map(reportRow).join('\n');
      await this.#gh.run(
        'update report issue',
        `mutation($input: UpdateIssueInput!) { updateIssue(input: $input) { issue { id } } }`,
        { input: { id: found.issue.id, body: `${found.issue.body.trimEnd()}\n${rows}\n` } },
      );
      await this.#gh.run(
        'comment on report issue',
        `mutation($input: AddCommentInput!) { addComment(input: $input) { clientMutationId } }`,
        {
          input: {
            subjectId: found.issue.id,
            body: `More artifacts from this commit were not published:\n\n${rows.replace(/ <!--.*?-->/g, '')}`,
          },
        },
      );
    }
  }

  async sendAlert(alert: SecurityAlert): Promise<void> {
    // A stray's name is uploader text: the marker is built from checked values only, the title is escaped.
    const marker = alertMarker(alert);
    const found = await this.#find(this.#admin, marker);
    if (found.issue) return;
    const body = [
      marker,
      `**Security alert: ${alert.kind}**`,
      '',
      `Artifact: ${mdCode(`${alert.subdir}/${alert.filename}`)}`,
      `Feedstock: ${mdCode(alert.feedstock ?? '-')}`,
      '',
      mdCode(alert.detail),
      '',
    ].join('\n');
    await this.#gh.run(
      'open alert issue',
      `mutation($input: CreateIssueInput!) { createIssue(input: $input) { issue { id } } }`,
      {
        input: {
          repositoryId: found.repositoryId,
          title: `forgegate security alert: ${alert.kind} for ${escapeControl(`${alert.subdir}/${alert.filename}`)}`,
          body,
        },
      },
    );
  }
}
