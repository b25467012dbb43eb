/** Characters of a stream name, plus `*`: what a glob may hold. */
const GLOB = /^[a-z0-9._*-]{1,128}$/;
/** Most globs one token may carry; a longer list is a mistake, not a need. */
const MAX_GLOBS = 64;

/**
 * A token's stream-name patterns (`ci-*|build-*`). `*` matches any run of stream-name characters,
 * including none; every other character matches itself. A name is covered when any glob matches it
 * whole.
 */
export class StreamGlobs {
  readonly globs: readonly string[];

  private constructor(globs: readonly string[]) {
    this.globs = globs;
  }

  /** Parses `glob|glob`; throws a message fit for the user on an empty or malformed list. */
  static parse(text: string): StreamGlobs {
    const globs = text.split('|').map((glob) => glob.trim());
    if (globs.length > MAX_GLOBS) throw new Error(`a token may name at most ${MAX_GLOBS} stream patterns`);
    for (const glob of globs) {
      if (!GLOB.test(glob)) {
        throw new Error(
          `"${glob}" is not a stream pattern: after "@" give stream names or globs such as ci-* (lower-case letters, digits, . _ - and *), separated by |`,
        );
      }
    }
    return new StreamGlobs([...new Set(globs)]);
  }

  matches(name: string): boolean {
    return this.globs.some((glob) => globMatches(glob, name));
  }
}

/**
 * Whole-string wildcard match in O(glob × name) steps at worst: on a mismatch only the last `*` is
 * retried, one character further. A RegExp of `.*` runs would backtrack exponentially on names an
 * attacker picks. Names hold only name characters, so `*` may match any character.
 */
export function globMatches(glob: string, name: string): boolean {
  let g = 0;
  let n = 0;
  let star = -1;
  let resume = 0;
  while (n < name.length) {
    if (g < glob.length && glob[g] !== '*' && glob[g] === name[n]) {
      g++;
      n++;
    } else if (g < glob.length && glob[g] === '*') {
      star = g++;
      resume = n;
    } else if (star >= 0) {
      g = star + 1;
      n = ++resume;
    } else {
      return false;
    }
  }
  while (g < glob.length && glob[g] === '*') g++;
  return g === glob.length;
}
