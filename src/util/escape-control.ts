// Hostile text (file names, statement fields, server messages) shown to a person: control characters never reach a
// terminal or a page as themselves. ESC/OSC could rewrite the screen, CR overwrite a line, bidi controls reorder it.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const CONTROL_BUT_NEWLINE =
  // eslint-disable-next-line no-control-regex -- as above
  /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

// `\uXXXX` reads the same in text and is a valid escape inside a JSON string, so JSON output stays JSON.
const escape = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** Every control character as `\uXXXX`, newlines included: for one-line fields (table cells, details). */
export function escapeControl(text: string): string {
  return text.replace(CONTROL, escape);
}

/** The same, but newlines stay: for whole outputs whose line structure is forgegate's own. */
export function escapeControlKeepLines(text: string): string {
  return text.replace(CONTROL_BUT_NEWLINE, escape);
}
