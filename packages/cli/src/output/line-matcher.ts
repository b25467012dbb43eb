import { compileUserRegExp, type LogEntry } from '@livelog/protocol';

/**
 * `-i/--include` and `-e/--exclude` (each repeatable, like stern): an entry is printed when its
 * message matches any include (or there is none) and no exclude.
 */
export function createLineMatcher(include: readonly RegExp[], exclude: readonly RegExp[]): (entry: LogEntry) => boolean {
  if (include.length === 0 && exclude.length === 0) return () => true;
  return (entry) => {
    if (include.length > 0 && !include.some((pattern) => pattern.test(entry.msg))) return false;
    return !exclude.some((pattern) => pattern.test(entry.msg));
  };
}

/**
 * Compiles user regexes as the console does (compileUserRegExp: `u` when the pattern allows it, so
 * `\p{Lu}` and a `.` over an emoji work), naming the flag in the error of a bad one.
 */
export function compilePatterns(flag: string, sources: readonly string[]): RegExp[] {
  return sources.map((source) => {
    try {
      return compileUserRegExp(source, '');
    } catch (error) {
      throw new Error(`${flag} ${JSON.stringify(source)}: ${(error as Error).message}`);
    }
  });
}

/**
 * The text a regex source matches literally (`disk full`, `a\.b`), or undefined when it uses any
 * regex syntax. Such a pattern can be sent to the server as `q`, a case-insensitive substring,
 * which finds every line the pattern matches (and maybe more).
 */
export function literalOf(source: string): string | undefined {
  let text = '';
  for (let i = 0; i < source.length; i++) {
    const char = source[i] as string;
    if (char === '\\') {
      const next = source[i + 1];
      // `\d`, `\b`, `\1`: classes, anchors and references; only an escaped punctuation mark is literal.
      if (next === undefined || /[A-Za-z0-9]/.test(next)) return undefined;
      text += next;
      i++;
    } else if ('^$.*+?()[]{}|'.includes(char)) {
      return undefined;
    } else {
      text += char;
    }
  }
  return text === '' ? undefined : text;
}
