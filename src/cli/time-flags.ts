// Every time flag (--at, --not-after, --since) reads the same two forms: an RFC 3339 UTC time, or a duration
// counted from now (into the past for --since, into the future for the others).
import { ForgegateError } from '../errors.js';
import { parseDuration, parseUtcTime } from '../util/time.js';

export function timeFlag(
  value: string | undefined,
  flag: string,
  nowMs: number,
  direction: 'past' | 'future',
): number | undefined {
  if (value === undefined) return undefined;
  const at = parseUtcTime(value);
  if (at !== null) return at;
  const d = parseDuration(value);
  if (d !== null) return direction === 'past' ? nowMs - d : nowMs + d;
  throw new ForgegateError('FG_USAGE', `${flag} "${value}" is not an RFC 3339 UTC time or a duration`, {
    fix: `Use e.g. ${flag} 2026-11-25T12:00:00Z, or ${flag} ${direction === 'past' ? '24h (24 hours ago)' : '30d'}.`,
  });
}
