import { createHash } from 'node:crypto';
import type { RedisArgument } from '@redis/client';

/** The one thing a script needs from a connection: sending a raw command. */
export interface CommandSender {
  sendCommand<T>(args: readonly RedisArgument[]): Promise<T>;
}

/**
 * A Lua script run by its SHA1 (EVALSHA), so each call sends only the arguments. Redis forgets its
 * script cache on restart and on SCRIPT FLUSH; the NOSCRIPT answer is then met with one EVAL, which
 * runs the script and caches it again, so the call still costs one round trip in the common case.
 */
export class LuaScript {
  readonly source: string;
  readonly sha: string;

  constructor(source: string) {
    this.source = source;
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run<T>(client: CommandSender, keys: readonly string[], args: readonly string[]): Promise<T> {
    const tail = [String(keys.length), ...keys, ...args];
    try {
      return await client.sendCommand<T>(['EVALSHA', this.sha, ...tail]);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return client.sendCommand<T>(['EVAL', this.source, ...tail]);
    }
  }
}
