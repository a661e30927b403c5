// Text someone else chose (a key id, a file name, a detail quoting either) kept to a size a report, the ledger or a
// terminal can hold. The cut is visible: a reader sees that something was left out, and how much.

const cutMarker = (n: number): string => `…(${n.toLocaleString('en-US')} more characters)`;

/** `text` itself when it has at most `max` characters; else its start and `…(59,900 more characters)`, `max` in all. */
export function boundText(text: string, max: number): string {
  if (text.length <= max) return text;
  let keep = Math.max(0, max - cutMarker(text.length).length);
  // Never half a surrogate pair: the cut would leave an unpaired code unit.
  const last = text.charCodeAt(keep - 1);
  if (keep > 0 && last >= 0xd800 && last <= 0xdbff) keep--;
  return `${text.slice(0, keep)}${cutMarker(text.length - keep)}`;
}
