import {
  decodeListCursor,
  encodeListCursor,
  type ListPosition,
  type ListStreamsPage,
  type ListStreamsQuery,
  matchesListQuery,
  type StoredStreamInfo,
} from '@livelog/core';
import { type CallOptions, read } from './redis-calls.js';
import type { RedisKeys } from './redis-keys.js';
import type { RedisLink } from './redis-link.js';
import { streamInfo } from './redis-stream-info.js';
import type { StreamRegistry } from './stream-registry.js';

/** Names read from the registry per round while a page is filled. */
const SCAN_BATCH = 200;

/**
 * One page of `list`: names from the registry in name order (ZRANGEBYLEX, prefix as a range) or by
 * last activity (ZREVRANGEBYSCORE), each stream's info by its own script, label filter here. A name
 * whose stream is gone (wiped keys) is skipped. `next` is given only when another match exists.
 */
export async function listStreams(
  registry: StreamRegistry,
  link: RedisLink,
  calls: CallOptions,
  keysOf: (name: string) => RedisKeys,
  query: ListStreamsQuery,
): Promise<ListStreamsPage> {
  const prefix = query.prefix ?? '';
  const order = query.order ?? 'name';
  const recent = order === 'recent';
  let cursor: ListPosition | undefined = query.after === undefined || query.after === '' ? undefined : decodeListCursor(query.after, order);
  const found: { info: StoredStreamInfo; cursor: ListPosition }[] = [];
  const want = query.limit + 1;
  for (;;) {
    const batch = recent
      ? (await registry.recent(cursor === undefined ? undefined : { score: cursor.activity, name: cursor.name }, SCAN_BATCH)).map(
          (item) => ({
            name: item.name,
            cursor: { name: item.name, activity: item.score },
          }),
        )
      : (await registry.names(cursor?.name, prefix, SCAN_BATCH)).map((name) => ({ name, cursor: { name, activity: 0 } }));
    const candidates = batch.filter((item) => item.name.startsWith(prefix));
    const infos = await Promise.all(candidates.map((item) => read(calls, () => streamInfo(link, item.name, keysOf(item.name)))));
    candidates.forEach((item, i) => {
      const info = infos[i];
      if (info === undefined)
        void unlistGone(registry, link, item.name, keysOf(item.name)).catch((error: unknown) => calls.onError?.(error));
      if (info !== undefined && matchesListQuery(info.name, info.labels, query) && found.length < want)
        found.push({ info, cursor: item.cursor });
    });
    const last = batch[batch.length - 1];
    if (found.length >= want || last === undefined || batch.length < SCAN_BATCH) break;
    cursor = last.cursor;
  }
  const page = found.slice(0, query.limit);
  const result: ListStreamsPage = { streams: page.map((item) => item.info) };
  const lastOfPage = page[page.length - 1];
  if (found.length > query.limit && lastOfPage !== undefined) result.next = encodeListCursor(lastOfPage.cursor, order);
  return result;
}

/**
 * Unlists a name whose stream is gone (its keys were wiped, not deleted through livelog). The identity
 * listed is read before the stream is checked again, and removed only if still listed: a stream made
 * again meanwhile has another identity, so it stays listed.
 */
async function unlistGone(registry: StreamRegistry, link: RedisLink, name: string, keys: RedisKeys): Promise<void> {
  const listed = await registry.identity(name);
  if (listed === null) return;
  if ((await link.send<number>(keys.meta, ['EXISTS', keys.meta])) === 1) return;
  await registry.unregister(name, listed);
}
