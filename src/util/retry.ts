// One retry primitive: exponential backoff with full jitter, honouring Retry-After. Limits are named here.
export const RETRY_ATTEMPTS = 6;
export const RETRY_BASE_MS = 200;
export const RETRY_CAP_MS = 10_000;
export const RETRY_AFTER_CAP_MS = 60_000;

/** Network error codes worth another try (undici and node both). UND_ERR_SOCKET is also a body cut off mid-way. */
export const RETRYABLE_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENOTFOUND',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
  'UND_ERR_REQ_RETRY',
]);

/** 429 and 5xx. (A 405 on `POST /commit` is transient too, but forgegate never uploads, so never commits.) */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

export function isRetryableError(e: unknown): boolean {
  const code = (e as { code?: string }).code ?? (e as { cause?: { code?: string } }).cause?.code;
  return code !== undefined && RETRYABLE_CODES.has(code);
}

/** Thrown by an attempt to ask for another one; `retryAfter` is the server's Retry-After header, if any. */
export class RetryableFailure extends Error {
  readonly retryAfter: string | undefined;
  constructor(message: string, retryAfter?: string) {
    super(message);
    this.retryAfter = retryAfter;
  }
}

/** Delay before attempt `attempt` (1-based retry count). Retry-After (seconds or HTTP date) wins when present. */
export function backoffMs(attempt: number, retryAfter: string | undefined, random: () => number = Math.random): number {
  if (retryAfter !== undefined) {
    const seconds = Number(retryAfter);
    const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(retryAfter) - Date.now();
    if (Number.isFinite(ms) && ms >= 0) return Math.min(ms, RETRY_AFTER_CAP_MS);
  }
  return Math.floor(random() * Math.min(RETRY_CAP_MS, RETRY_BASE_MS * 2 ** attempt));
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Run `attempt` until it returns, at most `attempts` times. Only a RetryableFailure earns another try (after the
 * backoff); any other exception passes straight through. When every try failed, the last RetryableFailure is thrown.
 */
export async function retrying<T>(
  attempt: (n: number) => Promise<T>,
  attempts: number = RETRY_ATTEMPTS,
  wait: (ms: number) => Promise<void> = sleep,
): Promise<T> {
  let last: RetryableFailure | null = null;
  for (let n = 0; n < attempts; n++) {
    if (last !== null) await wait(backoffMs(n, last.retryAfter));
    try {
      return await attempt(n);
    } catch (e) {
      if (!(e instanceof RetryableFailure)) throw e;
      last = e;
    }
  }
  throw last ?? new RetryableFailure('no attempt was made');
}
