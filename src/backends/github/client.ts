// GraphQL to GitHub through @octokit/graphql (which uses the global fetch). One retry loop for outages and
// secondary rate limits; a pause when the primary budget runs low. Errors never carry the token.
import { graphql, GraphqlResponseError } from '@octokit/graphql';
import { ForgegateError } from '../../errors.js';
import { RetryableFailure, isRetryableError, retrying, sleep } from '../../util/retry.js';

export const GITHUB_ATTEMPTS = 5;
/** Below this many points left, wait for the reset instead of spending the last ones. */
export const RATE_LIMIT_FLOOR = 50;
export const MAX_RATE_LIMIT_WAIT_MS = 15 * 60_000;

export interface RateLimit {
  cost: number;
  remaining: number;
  resetAt: string;
}

export interface GitHubClientOptions {
  url: string;
  token: string;
  /** Injected in tests so rate-limit pauses do not take minutes. */
  sleep?: (ms: number) => Promise<void>;
}

type Variables = Record<string, unknown>;

/** The GitHub token from the variable `tokenEnv` names; `where` says which part of the config needs it. */
export function githubToken(tokenEnv: string, where: string, env: NodeJS.ProcessEnv): string {
  const token = env[tokenEnv];
  if (!token)
    throw new ForgegateError('FG_CONFIG_INVALID', `${where}: environment variable ${tokenEnv} (tokenEnv) is not set`, {
      fix: `Export ${tokenEnv} with a GitHub token (docs/operations.md, "GitHub" lists the scopes).`,
    });
  return token;
}

export class GitHubGraphQL {
  #gql: typeof graphql;
  #sleep: (ms: number) => Promise<void>;
  requests = 0;

  constructor(opts: GitHubClientOptions) {
    const baseUrl = opts.url.replace(/\/graphql\/?$/, '');
    this.#gql = graphql.defaults({
      baseUrl,
      headers: { authorization: `token ${opts.token}`, 'user-agent': 'forgegate/0.1' },
    });
    this.#sleep = opts.sleep ?? sleep;
  }

  /** Run one document; `what` names it in errors. Outages become FG_REGISTRY_UNAVAILABLE-style transient errors. */
  async run<T>(what: string, query: string, variables: Variables = {}): Promise<T> {
    try {
      return await retrying(
        async () => {
          this.requests++;
          try {
            const data = await this.#gql<T & { rateLimit?: RateLimit }>(query, variables);
            if (data.rateLimit) await this.#pace(data.rateLimit);
            return data;
          } catch (e) {
            throw this.#classify(what, e);
          }
        },
        GITHUB_ATTEMPTS,
        this.#sleep,
      );
    } catch (e) {
      if (!(e instanceof RetryableFailure)) throw e;
      throw new ForgegateError(
        'FG_REGISTRY_UNAVAILABLE',
        `GitHub ${what}: still failing after ${GITHUB_ATTEMPTS} tries (${e.message})`,
        {
          transient: true,
          fix: 'GitHub is unavailable or rate-limiting; the next run retries. Nothing was applied.',
        },
      );
    }
  }

  /** Outages and rate limits earn another try; a real answer (e.g. a refused mutation) goes back to the caller. */
  #classify(what: string, e: unknown): unknown {
    const status = (e as { status?: number }).status;
    const headers = (e as { response?: { headers?: Record<string, string> } }).response?.headers ?? {};
    if (e instanceof GraphqlResponseError) {
      const types = (e.errors ?? []).map((x) => (x as { type?: string }).type);
      return types.includes('RATE_LIMITED') ? new RetryableFailure('rate limited', headers['retry-after']) : e;
    }
    if (status === 403 || status === 429) {
      if (headers['retry-after'] === undefined && headers['x-ratelimit-remaining'] !== '0')
        return this.#error(what, `HTTP ${status}`, e);
      return new RetryableFailure(`secondary rate limit (HTTP ${status})`, headers['retry-after']);
    }
    if (
      (status !== undefined && status >= 500) ||
      (status === undefined && (isRetryableError(e) || e instanceof TypeError))
    ) {
      return new RetryableFailure(status ? `HTTP ${status}` : 'network error');
    }
    return this.#error(what, status ? `HTTP ${status}` : (e as Error).message, e);
  }

  async #pace(rate: RateLimit): Promise<void> {
    if (rate.remaining >= RATE_LIMIT_FLOOR) return;
    const wait = Math.min(MAX_RATE_LIMIT_WAIT_MS, Math.max(0, Date.parse(rate.resetAt) - Date.now()));
    await this.#sleep(wait);
  }

  #error(what: string, why: string, cause: unknown): ForgegateError {
    return new ForgegateError('FG_REGISTRY_UNAVAILABLE', `GitHub ${what} failed: ${why}`, {
      transient: true,
      cause,
      fix: 'Check the token (tokenEnv) and its scopes (docs/operations.md, "GitHub"), and that the repository exists.',
    });
  }
}

export function splitRepository(full: string): { owner: string; name: string } {
  const [owner, name] = full.split('/') as [string, string];
  return { owner, name };
}
