// Text someone else chose (a key id, a file name, a detail quoting either) kept to a size a report, the ledger or a
// terminal can hold. The cut is visible: a reader sees that something was left out, and how much.

const cutMarker = (n: number): string => `…(${n.toLocaleString('en-US')} more characters)`;

/**
 * `text` itself when it has at most `max` characters; else its start and `…(59,900 more characters)`, `max` in all.
 * `cutBefore`: characters the caller already dropped from the end of `text` (they count as left out). A `max` is
 * meant to leave room for the marker (about 30 characters); below that only the marker is kept.
 */
export function boundText(text: string, max: number, cutBefore = 0): string {
  if (text.length <= max && cutBefore === 0) return text;
  let keep = Math.min(text.length, Math.max(0, max - cutMarker(text.length + cutBefore).length));
  // Never half a surrogate pair: the cut would leave an unpaired code unit.
  const last = text.charCodeAt(keep - 1);
  if (keep > 0 && keep < text.length && last >= 0xd800 && last <= 0xdbff) keep--;
  return `${text.slice(0, keep)}${cutMarker(text.length - keep + cutBefore)}`;
}
