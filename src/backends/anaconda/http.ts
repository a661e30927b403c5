// HTTP to anaconda.org over one undici Agent (keep-alive pool per origin). Every request has timeouts; network
// errors, 429 and 5xx are retried; other 4xx never. Errors name method, path and status — never the token.
import { createRequire } from 'node:module';
import type * as Undici from 'undici';
import type { Agent, Dispatcher } from 'undici';
import { ForgegateError } from '../../errors.js';
import { RETRY_ATTEMPTS, RetryableFailure, isRetryableError, isRetryableStatus, retrying } from '../../util/retry.js';

// undici takes longer to load than the rest of a reconcile's modules together (~150 ms), and a run on folders never
// talks to anaconda.org: it is loaded when the first agent is made.
const require = createRequire(import.meta.url);
let loaded: typeof Undici | undefined;
const undici = (): typeof Undici => (loaded ??= require('undici') as typeof Undici);

export const HEADERS_TIMEOUT_MS = 30_000;
/** Longest silence while a body streams (undici's bodyTimeout is per chunk, so big downloads are fine). */
export const BODY_TIMEOUT_MS = 120_000;
export const CONNECTIONS_PER_ORIGIN = 128;
export const KEEP_ALIVE_MS = 30_000;

export function createAgent(): Agent {
  return new (undici().Agent)({
    connections: CONNECTIONS_PER_ORIGIN,
    keepAliveTimeout: KEEP_ALIVE_MS,
    headersTimeout: HEADERS_TIMEOUT_MS,
    bodyTimeout: BODY_TIMEOUT_MS,
  });
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Dispatcher.ResponseData['body'];
}

export interface HttpOptions {
  /** Shared keep-alive pool; by default one of its own. */
  agent?: Agent;
  /** Tries per request, the first included. */
  attempts?: number;
}

export class AnacondaHttp {
  readonly baseUrl: string;
  readonly attempts: number;
  #token: string | null;
  #agent: Agent;

  constructor(baseUrl: string, token: string | null, opts: HttpOptions = {}) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.#token = token;
    this.#agent = opts.agent ?? createAgent();
    this.attempts = opts.attempts ?? RETRY_ATTEMPTS;
  }

  async close(): Promise<void> {
    await this.#agent.close();
  }

  /**
   * Send a request, retrying transient failures. `accept` lists the statuses returned to the caller as values;
   * anything else is an error. `absolute` URLs (download redirects) are fetched with NO Authorization header and
   * no other session header. Errors never carry the undici error as cause (it can hold the request headers).
   */
  async send(
    method: string,
    path: string,
    opts: { json?: unknown; accept: number[]; absolute?: boolean },
  ): Promise<HttpResponse> {
    const url = opts.absolute ? path : `${this.baseUrl}${path}`;
    const shown = opts.absolute ? '(download location)' : path;
    const headers: Record<string, string> = opts.absolute
      ? {}
      : { accept: 'application/json', 'user-agent': 'forgegate/0.1', 'x-binstar-api-version': '1.12.2' };
    if (!opts.absolute && this.#token !== null) headers['authorization'] = `token ${this.#token}`;
    if (opts.json !== undefined) headers['content-type'] = 'application/json';
    const body = opts.json === undefined ? undefined : JSON.stringify(opts.json);
    try {
      return await retrying(async () => {
        let res: Dispatcher.ResponseData;
        try {
          res = await undici().request(url, { method: method, headers, body, dispatcher: this.#agent });
        } catch (e) {
          if (isRetryableError(e))
            throw new RetryableFailure(`network error ${(e as { code?: string }).code ?? ''}`.trim());
          throw new ForgegateError(
            'FG_HTTP',
            `anaconda.org ${method} ${shown} failed: ${this.#redact((e as Error).message)}`,
            { transient: true },
          );
        }
        if (opts.accept.includes(res.statusCode))
          return { status: res.statusCode, headers: res.headers, body: res.body };
        const text = await res.body.text().catch(() => '');
        const retryAfter = res.headers['retry-after'];
        if (isRetryableStatus(res.statusCode))
          throw new RetryableFailure(
            `status ${res.statusCode}`,
            typeof retryAfter === 'string' ? retryAfter : undefined,
          );
        throw new ForgegateError(
          'FG_HTTP',
          `anaconda.org ${method} ${shown} answered ${res.statusCode}: ${this.#redact(errorText(text))}`,
          {
            fix:
              res.statusCode === 401
                ? 'Check that the token in the configured tokenEnv variable is valid and may write to this owner.'
                : 'See the anaconda.org answer above.',
          },
        );
      }, this.attempts);
    } catch (e) {
      if (!(e instanceof RetryableFailure)) throw e;
      throw new ForgegateError(
        'FG_HTTP',
        `anaconda.org ${method} ${shown} still failing after ${this.attempts} tries (${e.message})`,
        { transient: true, fix: 'Transient: the next run retries.' },
      );
    }
  }

  /** A server may echo what it was sent: no text from it reaches an error with the token in it. */
  #redact(text: string): string {
    return this.#token ? text.split(this.#token).join('[redacted]') : text;
  }

  // T is what the caller expects the body to hold: a cast at one place, checked by the caller.
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
  async json<T>(
    method: string,
    path: string,
    opts: { json?: unknown; accept?: number[] } = {},
  ): Promise<{ status: number; data: T | null }> {
    const res = await this.send(method, path, { json: opts.json, accept: opts.accept ?? [200, 201] });
    const text = await res.body.text();
    if (res.status === 404 || res.status === 409) return { status: res.status, data: null };
    try {
      return { status: res.status, data: (text ? JSON.parse(text) : {}) as T };
    } catch {
      throw new ForgegateError(
        'FG_HTTP',
        `anaconda.org ${method} ${path} answered ${res.status} with a body that is not JSON`,
        { transient: true },
      );
    }
  }
}

function errorText(text: string): string {
  try {
    const e = (JSON.parse(text) as { error?: unknown }).error;
    if (typeof e === 'string') return e.slice(0, 300);
  } catch {
    /* not JSON */
  }
  return text.slice(0, 200) || '(no body)';
}
