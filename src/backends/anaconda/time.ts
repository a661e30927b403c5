import { toUtcString } from '../../util/time.js';

/** anaconda.org's "2023-04-04 17:45:58.808000+00:00" as RFC 3339 UTC; unparseable → the epoch (oldest possible). */
export function anacondaTime(text: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})?$/.exec(text);
  if (!m) return toUtcString(0);
  const ms = Date.parse(`${m[1]}T${m[2]}.${(m[3] ?? '0').padEnd(3, '0').slice(0, 3)}${m[4] ?? 'Z'}`);
  return toUtcString(Number.isFinite(ms) ? ms : 0);
}
