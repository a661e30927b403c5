// Hostile text (file names, statement fields, server messages) shown to a person: control characters never reach a
// terminal, a log or a page as themselves, so one name stays on one line and reads as it is. Each class, and why:
//
// | characters                                   | why                                                          |
// |----------------------------------------------|--------------------------------------------------------------|
// | U+0000–U+001F, U+007F (C0, DEL)               | newline and CR forge lines; ESC starts terminal sequences      |
// | U+0080–U+009F (C1, NEL U+0085 among them)      | NEL ends a line for some readers; CSI/OSC rewrite the screen   |
// | U+2028, U+2029 (line, paragraph separator)     | end a line in editors, JavaScript and some log viewers         |
// | U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069 (bidi) | reorder what follows (Trojan Source)          |
// | U+200B, U+2060–U+2064, U+FEFF (invisible)      | make two different names look the same                         |
// | U+FFF9–U+FFFB (interlinear annotation)         | hide text from some renderers                                  |
//
// Each becomes `\uXXXX`: it reads the same in text and is a valid escape inside a JSON string, so JSON stays JSON.
const CLASSES = [
  String.raw`\u0000-\u001f\u007f-\u009f\u2028\u2029`,
  String.raw`\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069`,
  String.raw`\u200b\u2060-\u2064\ufeff\ufff9-\ufffb`,
].join('');
const CONTROL = new RegExp(`[${CLASSES}]`, 'g');
/** The same classes but the newline (U+000A), which a whole output of forgegate's own uses between its lines. */
const CONTROL_BUT_NEWLINE = new RegExp(`(?!\\n)[${CLASSES}]`, 'g');

const escape = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** Every control character as `\uXXXX`, newlines included: for anything from outside (names, details, messages). */
export function escapeControl(text: string): string {
  return text.replace(CONTROL, escape);
}

/**
 * The same, but newlines stay: only for whole outputs whose line structure is forgegate's own, after every piece
 * from outside went through escapeControl.
 */
export function escapeControlKeepLines(text: string): string {
  return text.replace(CONTROL_BUT_NEWLINE, escape);
}
