// For the few tests that must hand a command line to a shell (`script -c`): each word quoted, so a checkout or temp
// folder whose path holds spaces or quotes stays one word.
export function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

export function shellCommand(words: readonly string[]): string {
  return words.map(shellQuote).join(' ');
}
