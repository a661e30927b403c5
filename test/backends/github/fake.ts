// A stateful fake of the parts of GitHub's GraphQL API forgegate uses. Every document is validated against
// GitHub's published schema (@octokit/graphql-schema) and executed with graphql-js, so a query GitHub would
// reject fails here too. State: commits (path → text), one branch head, issues and comments.
import { createHash } from 'node:crypto';
import { schema as published } from '@octokit/graphql-schema';
import {
  buildClientSchema,
  graphql as execute,
  parse,
  validate,
  type GraphQLSchema,
  type IntrospectionQuery,
} from 'graphql';
import { http, HttpResponse } from 'msw';

let built: GraphQLSchema | null = null;
export function githubSchema(): GraphQLSchema {
  // The introspection JSON (the SDL repeats one field, which graphql-js refuses).
  built ??= buildClientSchema(published.json as unknown as IntrospectionQuery);
  return built;
}

export const GRAPHQL_URL = 'https://api.github.test/graphql';

interface Issue {
  id: string;
  number: number;
  repo: string;
  title: string;
  body: string;
  author: string;
  comments: string[];
}
type Hook = () => Response | undefined;

/** GitHub refuses an issue or comment body over 65,536 characters, and a title over 256, as a GraphQL error. */
const BODY_LIMIT = 65_536;
const TITLE_LIMIT = 256;
function tooLong(field: string, text: string, limit: number): void {
  // Counted in characters (code points), as GitHub counts them: a surrogate pair is one.
  const codePoints = text.length - (text.match(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g)?.length ?? 0);
  if (codePoints > limit) throw new Error(`${field} is too long (maximum is ${limit} characters)`);
}

export class FakeGitHub {
  commits = new Map<string, Map<string, string>>();
  head = '';
  branch = 'main';
  repository = 'conda-forge/feedstock-outputs';
  issues: Issue[] = [];
  repos = new Set<string>();
  /** GitHub's ids of a repository (`owner/name` as asked → what GitHub answers; a rename answers the new name). */
  repoIds = new Map<
    string,
    { databaseId: number; nameWithOwner: string; owner: { type: 'User' | 'Organization'; databaseId: number } }
  >();
  viewer = 'forgegate-bot';
  remaining = 5000;
  requests = 0;
  /** Documents by their first field name, e.g. "repository" or "createCommitOnBranch". */
  operations: string[] = [];
  hooks = new Map<number, Hook>();

  constructor(files: Record<string, string> = {}) {
    this.commit(files, 'initial');
  }

  /** A new commit on the branch: `changes` maps path → text (null deletes). Returns its oid. */
  commit(changes: Record<string, string | null>, message: string): string {
    const next = new Map(this.commits.get(this.head) ?? []);
    for (const [p, t] of Object.entries(changes)) {
      if (t === null) next.delete(p);
      else next.set(p, t);
    }
    const oid = createHash('sha1').update(`${this.head}\n${message}\n${this.commits.size}`).digest('hex');
    this.commits.set(oid, next);
    this.head = oid;
    return oid;
  }

  /** Run `hook` when request number `n` (1-based) arrives, before answering it. */
  on(n: number, hook: Hook): void {
    this.hooks.set(n, hook);
  }

  handler(): ReturnType<typeof http.post> {
    return http.post(GRAPHQL_URL, async ({ request }) => {
      this.requests++;
      const hook = this.hooks.get(this.requests);
      const early = hook?.();
      if (early) return early;
      const { query, variables } = (await request.json()) as { query: string; variables?: Record<string, unknown> };
      const errors = validate(githubSchema(), parse(query));
      if (errors.length > 0) return HttpResponse.json({ errors: errors.map((e) => ({ message: e.message })) });
      this.operations.push(/\{\s*(?:rateLimit\s*\{[^}]*\}\s*)?(\w+)/.exec(query)?.[1] ?? '?');
      const result = await execute({
        schema: githubSchema(),
        source: query,
        variableValues: variables ?? {},
        rootValue: this.#root(),
      });
      return HttpResponse.json(result);
    });
  }

  #tree(rev: string): Map<string, string> | undefined {
    return this.commits.get(rev === this.branch ? this.head : rev);
  }

  #object(expression: string): unknown {
    const at = expression.indexOf(':');
    const files = this.#tree(expression.slice(0, at));
    if (!files) return null;
    const path = expression.slice(at + 1);
    const text = files.get(path);
    if (text !== undefined)
      return { __typename: 'Blob', text, isBinary: false, isTruncated: false, byteSize: text.length };
    const names = new Map<string, string>();
    for (const p of files.keys()) {
      if (!p.startsWith(`${path}/`)) continue;
      const rest = p.slice(path.length + 1);
      names.set(rest.split('/')[0]!, rest.includes('/') ? 'tree' : 'blob');
    }
    return names.size === 0
      ? null
      : { __typename: 'Tree', entries: [...names].map(([name, type]) => ({ name, type })) };
  }

  #root(): Record<string, unknown> {
    return {
      rateLimit: () => ({
        cost: 1,
        remaining: this.remaining,
        resetAt: new Date(Date.now() + 1000).toISOString(),
        limit: 5000,
        used: 5000 - this.remaining,
      }),
      viewer: () => ({ login: this.viewer }),
      repository: ({ owner, name }: { owner: string; name: string }) => {
        const full = `${owner}/${name}`;
        const ids = this.repoIds.get(full);
        if (full !== this.repository && !this.repos.has(full) && ids === undefined) return null;
        return {
          id: `R_${full}`,
          databaseId: ids?.databaseId ?? 1,
          nameWithOwner: ids?.nameWithOwner ?? full,
          owner: { __typename: ids?.owner.type ?? 'Organization', databaseId: ids?.owner.databaseId ?? 2 },
          ref: ({ qualifiedName }: { qualifiedName: string }) =>
            full === this.repository && qualifiedName === `refs/heads/${this.branch}`
              ? { target: { __typename: 'Commit', oid: this.head } }
              : null,
          object: ({ expression }: { expression: string }) =>
            full === this.repository ? this.#object(expression) : null,
          issues: ({ filterBy, first }: { filterBy?: { createdBy?: string }; first: number }) => ({
            nodes: this.issues
              .filter((i) => i.repo === full && (!filterBy?.createdBy || i.author === filterBy.createdBy))
              .reverse()
              .slice(0, first)
              .map((i) => ({ id: i.id, body: i.body })),
          }),
        };
      },
      createCommitOnBranch: ({
        input,
      }: {
        input: {
          branch: { branchName: string };
          expectedHeadOid: string;
          message: { headline: string };
          fileChanges: { additions?: { path: string; contents: string }[] };
        };
      }) => {
        if (input.expectedHeadOid !== this.head)
          throw new Error(`Expected branch to point to "${input.expectedHeadOid}" but it did not. Pull and try again.`);
        const changes = Object.fromEntries(
          (input.fileChanges.additions ?? []).map((a) => [a.path, Buffer.from(a.contents, 'base64').toString()]),
        );
        return { commit: { oid: this.commit(changes, input.message.headline) } };
      },
      createIssue: ({ input }: { input: { repositoryId: string; title: string; body: string } }) => {
        tooLong('title', input.title, TITLE_LIMIT);
        tooLong('body', input.body, BODY_LIMIT);
        const issue: Issue = {
          id: `I_${this.issues.length + 1}`,
          number: this.issues.length + 1,
          repo: input.repositoryId.slice(2),
          title: input.title,
          body: input.body,
          author: this.viewer,
          comments: [],
        };
        this.issues.push(issue);
        return { issue: { id: issue.id } };
      },
      updateIssue: ({ input }: { input: { id: string; body: string } }) => {
        tooLong('body', input.body, BODY_LIMIT);
        const issue = this.issues.find((i) => i.id === input.id)!;
        issue.body = input.body;
        return { issue: { id: issue.id } };
      },
      addComment: ({ input }: { input: { subjectId: string; body: string } }) => {
        tooLong('body', input.body, BODY_LIMIT);
        this.issues.find((i) => i.id === input.subjectId)!.comments.push(input.body);
        return { clientMutationId: null };
      },
    };
  }
}
