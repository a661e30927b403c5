// Failure reports as GitHub issues: one per feedstock and source commit, in the repository the REGISTRY's feedstock
// name maps to (never the statement's source.repository). Found again by its hidden marker, so a lost ledger never
// duplicates an issue. New failures edit the body (the record) and add a comment (the notification).
import { ForgegateError } from '../../errors.js';
import type { FailureReport, ReportSink, SecurityAlert } from '../../ports/reports.js';
import { mdCode } from '../../reports/markdown.js';
import { escapeControl } from '../../util/escape-control.js';
import { renderComment, renderReport } from '../../reports/report-body.js';
import { alertMarker, groupReports, reportMarker, reportTitle } from '../../reports/report-format.js';
import { boundText } from '../../util/bound-text.js';
import { splitRepository, type GitHubGraphQL } from './client.js';

const REPO = /^[A-Za-z0-9_.-]{1,100}\/[A-Za-z0-9_.-]{1,100}$/;
const MAX_TITLE_SUBJECT = 180;
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
  #runLink: string | null;

  /** `runLink`: where this run's full list can be read (the reconciler's CI run), named when a report overflows. */
  constructor(
    gh: GitHubGraphQL,
    repositoryTemplate: string,
    adminRepository: string,
    opts: { runLink?: string | null } = {},
  ) {
    this.#gh = gh;
    this.#template = repositoryTemplate;
    this.#admin = adminRepository;
    this.#runLink = opts.runLink ?? null;
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
      const feedstock = g.feedstock ?? '_unattributed';
      const found = await this.#find(repository, reportMarker(feedstock, g.commit));
      // Bodies stay under GitHub's 65,536 characters (it refuses longer ones): past the budget, failures are counted.
      const ctx = { feedstock, commit: g.commit, runLink: this.#runLink };
      const rendered = renderReport(found.issue?.body ?? null, g.reports, ctx);
      if (rendered.added.length === 0) continue;
      if (found.issue === null) {
        await this.#gh.run(
          'open report issue',
          `mutation($input: CreateIssueInput!) { createIssue(input: $input) { issue { id } } }`,
          { input: { repositoryId: found.repositoryId, title: reportTitle(g.commit), body: rendered.body } },
        );
        continue;
      }
      await this.#gh.run(
        'update report issue',
        `mutation($input: UpdateIssueInput!) { updateIssue(input: $input) { issue { id } } }`,
        { input: { id: found.issue.id, body: rendered.body } },
      );
      await this.#gh.run(
        'comment on report issue',
        `mutation($input: AddCommentInput!) { addComment(input: $input) { clientMutationId } }`,
        { input: { subjectId: found.issue.id, body: renderComment(rendered, ctx) } },
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
          // GitHub refuses titles over 256 characters; a stray's name can be any length.
          title: `forgegate security alert: ${alert.kind} for ${boundText(
            escapeControl(`${alert.subdir}/${alert.filename}`),
            MAX_TITLE_SUBJECT,
          )}`,
          body,
        },
      },
    );
  }
}
