// HTTP to anaconda.org over one undici Agent (keep-alive pool per origin). Every request has timeouts; network
// errors, 429 and 5xx are retried; other 4xx never. Errors name method, path and status — never the token.
import { Agent, request, type Dispatcher } from 'undici';
import { ForgegateError } from '../errors.js';
import { RETRY_ATTEMPTS, backoffMs, isRetryableError, isRetryableStatus, sleep } from './retry.js';

export const HEADERS_TIMEOUT_MS = 30_000;
export const BODY_TIMEOUT_MS = 120_000;
export const CONNECTIONS_PER_ORIGIN = 128;

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Dispatcher.ResponseData['body'];
}

export class AnacondaHttp {
  readonly baseUrl: string;
  #token: string | null;
  #agent: Agent;
  /** Requests sent, counting retries (the benchmark reads it). */
  requests = 0;

  constructor(baseUrl: string, token: string | null, agent?: Agent) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.#token = token;
    this.#agent = agent ?? new Agent({ connections: CONNECTIONS_PER_ORIGIN, keepAliveTimeout: 30_000, headersTimeout: HEADERS_TIMEOUT_MS, bodyTimeout: BODY_TIMEOUT_MS });
  }

  async close(): Promise<void> {
    await this.#agent.close();
  }

  /**
   * Send a request, retrying transient failures. `accept` lists the statuses returned to the caller as values;
   * anything else is an error. `absolute` URLs (download redirects) are fetched with NO Authorization header.
   */
  async send(method: string, path: string, opts: { json?: unknown; accept: number[]; absolute?: boolean }): Promise<HttpResponse> {
    const url = opts.absolute ? path : `${this.baseUrl}${path}`;
    const shown = opts.absolute ? '(download location)' : path;
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'forgegate/0.1', 'x-binstar-api-version': '1.12.2' };
    if (!opts.absolute && this.#token !== null) headers['authorization'] = `token ${this.#token}`;
    if (opts.json !== undefined) headers['content-type'] = 'application/json';
    const body = opts.json === undefined ? undefined : JSON.stringify(opts.json);
    let lastProblem = '';
    for (let attempt = 0; attempt < RETRY_ATTEMPTS; attempt++) {
      if (attempt > 0) await sleep(backoffMs(attempt, retryAfterOf(lastProblem)));
      this.requests++;
      try {
        const res = await request(url, { method: method as 'GET', headers, body, dispatcher: this.#agent, maxRedirections: 0 } as Parameters<typeof request>[1]);
        if (opts.accept.includes(res.statusCode)) return { status: res.statusCode, headers: res.headers, body: res.body };
        const text = await res.body.text().catch(() => '');
        if (isRetryableStatus(res.statusCode)) {
          const ra = res.headers['retry-after'];
          lastProblem = `status ${res.statusCode}${typeof ra === 'string' ? `|retry-after=${ra}` : ''}`;
          continue;
        }
        throw new ForgegateError('FG_HTTP', `anaconda.org ${method} ${shown} answered ${res.statusCode}: ${this.#redact(errorText(text))}`, {
          fix: res.statusCode === 401 ? 'Check that the token in the configured tokenEnv variable is valid and may write to this owner.' : 'See the anaconda.org answer above.',
        });
      } catch (e) {
        if (e instanceof ForgegateError) throw e;
        if (!isRetryableError(e)) throw new ForgegateError('FG_HTTP', `anaconda.org ${method} ${shown} failed: ${this.#redact((e as Error).message)}`, { transient: true });
        lastProblem = `network error ${(e as { code?: string }).code ?? ''}`;
      }
    }
    throw new ForgegateError('FG_HTTP', `anaconda.org ${method} ${shown} still failing after ${RETRY_ATTEMPTS} tries (${lastProblem.split('|')[0]})`, { transient: true, fix: 'Transient: the next run retries.' });
  }

  /** A server may echo what it was sent: no text from it reaches an error with the token in it. */
  #redact(text: string): string {
    return this.#token ? text.split(this.#token).join('[redacted]') : text;
  }

  async json<T>(method: string, path: string, opts: { json?: unknown; accept?: number[] } = {}): Promise<{ status: number; data: T | null }> {
    const res = await this.send(method, path, { json: opts.json, accept: opts.accept ?? [200, 201] });
    const text = await res.body.text();
    if (res.status === 404 || res.status === 409) return { status: res.status, data: null };
    try {
      return { status: res.status, data: (text ? JSON.parse(text) : {}) as T };
    } catch {
      throw new ForgegateError('FG_HTTP', `anaconda.org ${method} ${path} answered ${res.status} with a body that is not JSON`, { transient: true });
    }
  }
}

function retryAfterOf(problem: string): string | undefined {
  const m = /\|retry-after=(.+)$/.exec(problem);
  return m ? m[1] : undefined;
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
