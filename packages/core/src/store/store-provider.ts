import { LivelogError } from '../errors.js';
import type { LogDatabase } from './log-database.js';
import type { BasicLogStore } from './log-store.js';
import { singleStreamDatabase } from './single-stream-database.js';

/** True when `value` is a LogDatabase (many streams) rather than a store of one stream. */
export function isLogDatabase(value: LogDatabase | BasicLogStore): value is LogDatabase {
  return typeof (value as Partial<LogDatabase>).openStream === 'function';
}

/**
 * Builds the stores of one or more URL schemes, such as `redis:` and `rediss:`. Whoever starts a
 * server passes the providers it ships (`livelog serve` passes Redis); the server itself knows no
 * store beyond SQLite and memory, and there is no global registry.
 */
export interface StoreProvider {
  /** URL schemes with their colon, as `URL#protocol` spells them: `['redis:', 'rediss:']`. */
  readonly schemes: readonly string[];
  /**
   * A database for `url`, not yet opened (a store of one stream is served as the `default` stream
   * only). Throws LIVELOG_ERR_CONFIG_INVALID for a URL it cannot use.
   */
  create(url: string): LogDatabase | BasicLogStore | Promise<LogDatabase | BasicLogStore>;
  /**
   * Throws LIVELOG_ERR_CONFIG_INVALID for a URL it cannot use, without connecting anywhere, so that a
   * process can refuse a bad URL as a usage error before it starts. Optional: `create` checks too.
   */
  check?(url: string): void | Promise<void>;
}

/**
 * The store a URL names, built by the provider of its scheme. Throws LIVELOG_ERR_CONFIG_INVALID for
 * a URL that is not one or whose scheme no provider knows, naming the schemes that are known.
 */
export async function createStoreFromUrl(url: string, providers: readonly StoreProvider[]): Promise<LogDatabase> {
  const made = await providerOf(url, providers).create(url);
  return isLogDatabase(made) ? made : singleStreamDatabase(made);
}

/**
 * Checks a store URL as `createStoreFromUrl` would, without building or connecting anything: a URL
 * whose scheme no provider knows, or that its provider refuses, throws LIVELOG_ERR_CONFIG_INVALID.
 */
export async function checkStoreUrl(url: string, providers: readonly StoreProvider[]): Promise<void> {
  await providerOf(url, providers).check?.(url);
}

function providerOf(url: string, providers: readonly StoreProvider[]): StoreProvider {
  let scheme: string;
  try {
    scheme = new URL(url).protocol;
  } catch {
    // The URL may hold a password: name the problem, never echo the value whole.
    const shown = url.replace(/\/\/[^@/]*@/, '//***@');
    throw new LivelogError(
      'LIVELOG_ERR_CONFIG_INVALID',
      `the store ${shown} is not a valid URL; one such as redis://127.0.0.1:6379/0?key=livelog is`,
    );
  }
  const provider = providers.find((candidate) => candidate.schemes.includes(scheme));
  if (provider === undefined) {
    const known = providers.flatMap((candidate) => candidate.schemes.map((name) => `${name}//`));
    throw new LivelogError(
      'LIVELOG_ERR_CONFIG_INVALID',
      `no store is available for ${scheme}// URLs (store URLs known here: ${known.length > 0 ? known.join(', ') : 'none'})`,
    );
  }
  return provider;
}
