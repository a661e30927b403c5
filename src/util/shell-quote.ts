// A word a person pastes into a POSIX shell: bare when it holds only characters no shell treats specially, else in
// single quotes (a quote inside becomes '\''). Used for the command lines forgegate prints as fixes.
const SAFE = /^[A-Za-z0-9_./,:=@%+-]+$/;

export function shellQuote(word: string): string {
  return SAFE.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
