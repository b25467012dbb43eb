import { createHash } from 'node:crypto';

/** The one thing a script needs from a connection: sending a raw command to the node holding a key. */
export interface CommandSender {
  send<T>(key: string | undefined, args: readonly string[]): Promise<T>;
}

/**
 * A Lua script run by its SHA1 (EVALSHA), so each call sends only the arguments. Redis forgets its
 * script cache on restart and on SCRIPT FLUSH (and each cluster node has its own); the NOSCRIPT answer
 * is then met with one EVAL, which runs the script and caches it again, so the call still costs one
 * round trip in the common case.
 */
export class LuaScript {
  /** Every script made, so that a database can load them all when it opens (see `loadScripts`). */
  static readonly all = new Set<LuaScript>();

  readonly source: string;
  readonly sha: string;

  constructor(source: string) {
    this.source = source;
    this.sha = createHash('sha1').update(source).digest('hex');
    LuaScript.all.add(this);
  }

  async run<T>(client: CommandSender, keys: readonly string[], args: readonly string[]): Promise<T> {
    const tail = [String(keys.length), ...keys, ...args];
    try {
      return await client.send<T>(keys[0], ['EVALSHA', this.sha, ...tail]);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return client.send<T>(keys[0], ['EVAL', this.source, ...tail]);
    }
  }
}

/**
 * Loads every script on every primary. Calls of one handle are sent in order and must run in that
 * order (an append sent before an end lands before it); a NOSCRIPT answer retried with EVAL would run
 * after calls sent later, so the scripts are loaded before the first call. Only after Redis loses its
 * script cache (a restart, SCRIPT FLUSH) can a retried call run late.
 */
export async function loadScripts(link: { everyPrimary(args: readonly string[]): Promise<void> }): Promise<void> {
  for (const script of LuaScript.all) await link.everyPrimary(['SCRIPT', 'LOAD', script.source]);
}
