import { isStreamName } from '@livelog/protocol';
import { LuaScript } from './lua-script.js';
import { LISTED_SCRIPT } from './lua-scripts.js';
import { type CallOptions, call } from './redis-calls.js';
import { type RedisKeys, type RegistryKeys, registryKeys, streamKeys } from './redis-keys.js';
import type { RedisLink } from './redis-link.js';
import { REGISTER_SCRIPT, TOUCH_SCRIPT, UNREGISTER_SCRIPT } from './registry-scripts.js';

const scripts = {
  register: new LuaScript(REGISTER_SCRIPT),
  touch: new LuaScript(TOUCH_SCRIPT),
  unregister: new LuaScript(UNREGISTER_SCRIPT),
  listed: new LuaScript(LISTED_SCRIPT),
};

/** How often the `recent` scores of written streams are raised, in ms. */
const TOUCH_EVERY_MS = 1000;

/**
 * The list of streams of one prefix, on its own slot (`{prefix}`): names in name order, identities,
 * last activity. It is updated after each stream's own script, as a separate step, so a Redis Cluster
 * never needs a script across slots:
 * - created: the stream's script runs first (the stream exists), then `register` lists it and marks
 *   the stream's meta `listed`. Until the mark, every write of the stream (by any process) answers
 *   "not listed" and registers again, and `repair` (at open) lists what a crashed process left out:
 *   a stream may be listed late, never lost.
 * - deleted: the stream's keys go first, then `unregister` removes the name only if it still holds the
 *   deleted identity, so a stream created again meanwhile stays listed.
 * - activity: `touch` raises the `recent` score, batched once a second per process.
 */
export class StreamRegistry {
  readonly keys: RegistryKeys;
  /** Tags this process's messages on the changes channel, so that it ignores its own echo. */
  readonly origin: string;
  readonly #link: RedisLink;
  readonly #prefix: string;
  readonly #calls: CallOptions;
  readonly #touched = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;

  constructor(link: RedisLink, prefix: string, calls: CallOptions, origin: string) {
    this.#link = link;
    this.#prefix = prefix;
    this.keys = registryKeys(prefix);
    this.#calls = calls;
    this.origin = origin;
  }

  #registryKeys(): string[] {
    return [this.keys.names, this.keys.identities, this.keys.recent, this.keys.retained];
  }

  /** Lists `name` with `identity` and marks its meta listed; true when it was not listed before. */
  async register(name: string, identity: string, streamKeys: RedisKeys, hasRetention?: boolean): Promise<boolean> {
    const retained = hasRetention === undefined ? '' : hasRetention ? '1' : '0';
    const args = [name, identity, String(Date.now()), retained, this.keys.changes, this.#link.publishCommand, this.origin];
    const added = await call(this.#calls, () => scripts.register.run<number>(this.#link, this.#registryKeys(), args));
    // Not waited for: until the mark lands, a write registers again, which changes nothing.
    call(this.#calls, () => scripts.listed.run<number>(this.#link, [streamKeys.meta], [identity])).catch((error: unknown) =>
      this.#calls.onError?.(error),
    );
    return Number(added) === 1;
  }

  /**
   * Lists every stream whose meta says it is not listed: a process that crashed between a stream's
   * first script and the registry step leaves one. SCAN over every primary, once per open.
   */
  async repair(): Promise<void> {
    const prefix = this.#prefix;
    const metas = await this.#link.scan(`${prefix}:{*}:meta`);
    const legacy = streamKeys(prefix, 'default').meta;
    metas.push(legacy);
    await Promise.all(
      metas.map(async (meta) => {
        const [identity, listed] = await this.#link.send<(string | null)[]>(meta, ['HMGET', meta, 'stream', 'listed']);
        if (identity === null || identity === undefined || listed === identity) return;
        const name = meta === legacy ? 'default' : meta.slice(prefix.length + 2, meta.length - '}:meta'.length);
        if (!isStreamName(name)) return;
        await this.register(name, identity, streamKeys(prefix, name));
      }),
    );
  }

  /** Unlists `name` if it still holds `identity` ('' for any); true when it did. */
  async unregister(name: string, identity: string): Promise<boolean> {
    const args = [name, identity, this.keys.changes, this.#link.publishCommand, this.origin];
    return Number(await call(this.#calls, () => scripts.unregister.run<number>(this.#link, this.#registryKeys(), args))) === 1;
  }

  /** Publishes `<kind> <name>` on the changes channel. */
  async announce(kind: 'ended', name: string): Promise<void> {
    await call(this.#calls, () =>
      this.#link.send(this.keys.changes, [this.#link.publishCommand, this.keys.changes, `${kind} ${name} ${this.origin}`]),
    );
  }

  /** The stream was written now; its `recent` score follows within TOUCH_EVERY_MS. */
  touch(name: string): void {
    this.#touched.set(name, Date.now());
    this.#timer ??= setTimeout(() => void this.flush(), TOUCH_EVERY_MS).unref();
  }

  /** Writes the pending `recent` scores, in one script call, so that they rise above every score before (TOUCH_SCRIPT). */
  async flush(): Promise<void> {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const touched = [...this.#touched];
    this.#touched.clear();
    if (touched.length === 0) return;
    const args = touched.flatMap(([name, time]) => [String(time), name]);
    await scripts.touch.run(this.#link, [this.keys.recent], args).catch((error: unknown) => this.#calls.onError?.(error));
  }

  /** The highest `recent` score (0 for none): every score set after this call is above it. */
  async topActivity(): Promise<number> {
    const reply = await call(this.#calls, () =>
      this.#link.send<string[]>(this.keys.recent, ['ZREVRANGE', this.keys.recent, '0', '0', 'WITHSCORES']),
    );
    return reply[1] === undefined ? 0 : Number(reply[1]);
  }

  /**
   * Names with a `recent` score above `bound`, in name order, after `afterName` (exclusive): the
   * streams written since a listing began, read whole (they are few unless most streams are busy).
   */
  async movedSince(bound: number, afterName: string | undefined): Promise<{ name: string; score: number }[]> {
    const found: { name: string; score: number }[] = [];
    for (let offset = 0; ; offset += 1000) {
      const reply = await call(this.#calls, () =>
        this.#link.send<string[]>(this.keys.recent, [
          'ZRANGEBYSCORE',
          this.keys.recent,
          `(${bound}`,
          '+inf',
          'WITHSCORES',
          'LIMIT',
          String(offset),
          '1000',
        ]),
      );
      for (let i = 0; i < reply.length; i += 2) {
        const name = reply[i] as string;
        if (afterName === undefined || name > afterName) found.push({ name, score: Number(reply[i + 1]) });
      }
      if (reply.length < 2000) break;
    }
    return found.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Names in name order after `after` (exclusive), starting with `prefix`, at most `count`. */
  async names(after: string | undefined, prefix: string, count: number): Promise<string[]> {
    const start = after !== undefined && after >= prefix ? `(${after}` : prefix === '' ? '-' : `[${prefix}`;
    // Stream names are ASCII below 0x7f, so `prefix` followed by DEL bounds every name starting with it.
    const end = prefix === '' ? '+' : `(${prefix}\x7f`;
    return call(this.#calls, () =>
      this.#link.send<string[]>(this.keys.names, ['ZRANGEBYLEX', this.keys.names, start, end, 'LIMIT', '0', String(count)]),
    );
  }

  /**
   * Names by last activity, newest first, after the cursor (score, name) exclusive; equal scores in
   * name order, as SQLite and memory list them. ZREVRANGEBYSCORE gives equal scores in reverse name
   * order: each batch's runs of one score are turned around, and the run its limit may have cut short
   * (the last of a full batch) is read whole, in name order, by ZRANGEBYSCORE of that one score.
   */
  async recent(
    after: { score: number; name: string } | undefined,
    count: number,
    bound?: number,
  ): Promise<{ name: string; score: number }[]> {
    // Below the bound every score is after the cursor; at or above it, the cursor decides.
    if (after !== undefined && bound !== undefined && bound < after.score) after = undefined;
    const found: { name: string; score: number }[] = [];
    if (after !== undefined) {
      const { score, name: last } = after;
      for (const name of await this.#withScore(score)) if (name > last) found.push({ name, score });
    }
    let max = after !== undefined ? `(${after.score}` : bound !== undefined ? String(bound) : '+inf';
    while (found.length < count) {
      const reply = await call(this.#calls, () =>
        this.#link.send<string[]>(this.keys.recent, [
          'ZREVRANGEBYSCORE',
          this.keys.recent,
          max,
          '-inf',
          'WITHSCORES',
          'LIMIT',
          '0',
          String(count),
        ]),
      );
      const batch: { name: string; score: number }[] = [];
      for (let i = 0; i < reply.length; i += 2) batch.push({ name: reply[i] as string, score: Number(reply[i + 1]) });
      const lastScore = batch[batch.length - 1]?.score;
      if (lastScore === undefined) break;
      const full = batch.length === count;
      found.push(...inNameOrderWithinScores(full ? batch.filter((item) => item.score !== lastScore) : batch));
      if (!full) break;
      for (const name of await this.#withScore(lastScore)) found.push({ name, score: lastScore });
      max = `(${lastScore}`;
    }
    return found.slice(0, count);
  }

  /** Every name with exactly this `recent` score, in name order (as a sorted set orders equal scores). */
  async #withScore(score: number): Promise<string[]> {
    const names: string[] = [];
    for (let offset = 0; ; offset += 1000) {
      const reply = await call(this.#calls, () =>
        this.#link.send<string[]>(this.keys.recent, [
          'ZRANGEBYSCORE',
          this.keys.recent,
          String(score),
          String(score),
          'LIMIT',
          String(offset),
          '1000',
        ]),
      );
      names.push(...reply);
      if (reply.length < 1000) return names;
    }
  }

  /** Names of streams with a retention of their own. */
  retained(): Promise<string[]> {
    return call(this.#calls, () => this.#link.send<string[]>(this.keys.retained, ['SMEMBERS', this.keys.retained]));
  }

  /** The identity registered for `name`, if any. */
  identity(name: string): Promise<string | null> {
    return call(this.#calls, () => this.#link.send<string | null>(this.keys.identities, ['HGET', this.keys.identities, name]));
  }

  stop(): Promise<void> {
    return this.flush();
  }
}

/** Items by score descending, equal scores in reverse name order (ZREVRANGEBYSCORE), made name order within each score. */
function inNameOrderWithinScores(items: readonly { name: string; score: number }[]): { name: string; score: number }[] {
  const out: { name: string; score: number }[] = [];
  let run: { name: string; score: number }[] = [];
  for (const item of items) {
    if (run.length > 0 && run[0]?.score !== item.score) {
      out.push(...run.reverse());
      run = [];
    }
    run.push(item);
  }
  return out.concat(run.reverse());
}
