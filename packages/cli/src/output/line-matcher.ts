import type { LogEntry } from '@livelog/protocol';

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

/** Compiles user regexes, naming the flag in the error of a bad one. */
export function compilePatterns(flag: string, sources: readonly string[]): RegExp[] {
  return sources.map((source) => {
    try {
      return new RegExp(source);
    } catch (error) {
      throw new Error(`${flag} ${JSON.stringify(source)}: ${(error as Error).message}`);
    }
  });
}
