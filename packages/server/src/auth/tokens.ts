import { createHash, timingSafeEqual } from 'node:crypto';
import { StreamGlobs } from './stream-globs.js';

/** What a token lets its holder do. `admin` includes the other two and `/metrics`. */
export type Scope = 'read' | 'ingest' | 'admin';

export const SCOPES: readonly Scope[] = ['read', 'ingest', 'admin'];

/** A configured token. */
export interface TokenSpec {
  secret: string;
  scopes: readonly Scope[];
  /**
   * Stream-name globs the token is limited to (`ci-*`, `build-*`); `*` matches any run of name
   * characters. Undefined: every stream.
   */
  streams?: readonly string[];
}

/** What a presented token grants: its scopes, and the streams it covers. */
export interface Grant {
  readonly scopes: ReadonlySet<Scope>;
  /** True when the token may touch the stream `name` at all (scopes are checked apart). */
  covers(name: string): boolean;
  /** True when the token covers every stream (no `@` part). */
  readonly everyStream: boolean;
}

/** The grant of a server without tokens: everything, to whoever reaches it on loopback. */
export const OPEN_GRANT: Grant = { scopes: new Set(SCOPES), covers: () => true, everyStream: true };

/**
 * Parses `SECRET` (every scope), `SECRET:scope+scope` (e.g. `s3cret:read+ingest`) and either of
 * those followed by `@glob|glob` to limit the token to matching stream names
 * (`s3cret:read+ingest@ci-*|build-*`, `s3cret@tenant-a-*`). Throws a message fit for the user on
 * anything else.
 *
 * A secret may hold neither `:` nor `@`: both separate the parts, and a secret that held `@` would
 * silently become a narrower token. Rejecting it is the safe side: the server does not start.
 */
/** Said with every malformed token: the wrong form (`read:ci-*=SECRET`) otherwise reads as a short or odd secret. */
const TOKEN_FORM = 'a token is SECRET[:scope+scope][@glob|glob], e.g. s3cretvalue:read@ci-*';

export function parseTokenSpec(text: string): TokenSpec {
  const at = text.indexOf('@');
  const head = at < 0 ? text : text.slice(0, at);
  const globText = at < 0 ? undefined : text.slice(at + 1);
  const colon = head.indexOf(':');
  const secret = colon < 0 ? head : head.slice(0, colon);
  const scopeText = colon < 0 ? '' : head.slice(colon + 1);
  if (secret.length < 8) throw new Error(`a token's secret must be at least 8 characters long (${TOKEN_FORM})`);
  if (/[\s,]/.test(secret)) throw new Error(`a token must not contain spaces or commas (${TOKEN_FORM})`);
  let scopes: Scope[] = ['admin'];
  if (scopeText !== '') {
    scopes = scopeText.split('+').map((scope) => scope.trim()) as Scope[];
    for (const scope of scopes) {
      if (!(SCOPES as readonly string[]).includes(scope)) {
        throw new Error(`unknown token scope "${scope}"; use read, ingest or admin (a secret may not contain ":" or "@"; ${TOKEN_FORM})`);
      }
    }
  }
  if (globText === undefined) return { secret, scopes };
  return { secret, scopes, streams: StreamGlobs.parse(globText).globs };
}

interface BookEntry {
  digest: Buffer;
  grant: Grant;
}

/** Checks presented tokens against the configured ones in constant time. */
export class TokenBook {
  readonly #tokens: BookEntry[];

  constructor(tokens: readonly TokenSpec[]) {
    this.#tokens = tokens.map((token) => ({ digest: digest(token.secret), grant: grantOf(token) }));
  }

  /** True when no token is configured: the server then only listens on loopback. */
  get open(): boolean {
    return this.#tokens.length === 0;
  }

  /** The grant of `secret`, or undefined for an unknown token. */
  grantOf(secret: string): Grant | undefined {
    const presented = digest(secret);
    let found: Grant | undefined;
    // Compare against every token so the time taken does not tell which one matched.
    for (const token of this.#tokens) {
      if (timingSafeEqual(token.digest, presented)) found = token.grant;
    }
    return found;
  }

  /** The scopes of `secret`, or undefined for an unknown token. */
  scopesOf(secret: string): ReadonlySet<Scope> | undefined {
    return this.grantOf(secret)?.scopes;
  }
}

/** True when `scopes` allow `needed`. */
export function allows(scopes: ReadonlySet<Scope>, needed: Scope): boolean {
  return scopes.has('admin') || scopes.has(needed);
}

function grantOf(token: TokenSpec): Grant {
  const scopes = new Set(token.scopes);
  if (token.streams === undefined) return { scopes, covers: () => true, everyStream: true };
  const globs = StreamGlobs.parse(token.streams.join('|'));
  return { scopes, covers: (name) => globs.matches(name), everyStream: false };
}

function digest(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}
