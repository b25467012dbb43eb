import { createHash, timingSafeEqual } from 'node:crypto';

/** What a token lets its holder do. `admin` includes the other two and `/metrics`. */
export type Scope = 'read' | 'ingest' | 'admin';

export const SCOPES: readonly Scope[] = ['read', 'ingest', 'admin'];

/** A configured token. */
export interface TokenSpec {
  secret: string;
  scopes: readonly Scope[];
}

/**
 * Parses `SECRET` (every scope) or `SECRET:scope+scope` (e.g. `s3cret:read+ingest`). Throws a message
 * fit for the user on anything else.
 */
export function parseTokenSpec(text: string): TokenSpec {
  const colon = text.lastIndexOf(':');
  const secret = colon < 0 ? text : text.slice(0, colon);
  const scopeText = colon < 0 ? '' : text.slice(colon + 1);
  if (secret.length < 8) throw new Error('a token must be at least 8 characters long');
  if (/[\s,]/.test(secret)) throw new Error('a token must not contain spaces or commas');
  if (scopeText === '') return { secret, scopes: ['admin'] };
  const scopes = scopeText.split('+').map((scope) => scope.trim());
  for (const scope of scopes) {
    if (!(SCOPES as readonly string[]).includes(scope)) throw new Error(`unknown token scope "${scope}"; use read, ingest or admin`);
  }
  return { secret, scopes: scopes as Scope[] };
}

/** Checks presented tokens against the configured ones in constant time. */
export class TokenBook {
  readonly #tokens: { digest: Buffer; scopes: ReadonlySet<Scope> }[];

  constructor(tokens: readonly TokenSpec[]) {
    this.#tokens = tokens.map((token) => ({ digest: digest(token.secret), scopes: new Set(token.scopes) }));
  }

  /** True when no token is configured: the server then only listens on loopback. */
  get open(): boolean {
    return this.#tokens.length === 0;
  }

  /** The scopes of `secret`, or undefined for an unknown token. */
  scopesOf(secret: string): ReadonlySet<Scope> | undefined {
    const presented = digest(secret);
    let found: ReadonlySet<Scope> | undefined;
    // Compare against every token so the time taken does not tell which one matched.
    for (const token of this.#tokens) {
      if (timingSafeEqual(token.digest, presented)) found = token.scopes;
    }
    return found;
  }
}

/** True when `scopes` allow `needed`. */
export function allows(scopes: ReadonlySet<Scope>, needed: Scope): boolean {
  return scopes.has('admin') || scopes.has(needed);
}

function digest(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}
