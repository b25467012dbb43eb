import {
  decodeListCursor,
  encodeListCursor,
  type ListStreamsPage,
  type ListStreamsQuery,
  listByRecency,
  matchesListQuery,
  type RecentItem,
  type RecentSource,
  type StoredStreamInfo,
} from '@livelog/core';
import { type CallOptions, read } from './redis-calls.js';
import type { RedisKeys } from './redis-keys.js';
import type { RedisLink } from './redis-link.js';
import { streamInfo } from './redis-stream-info.js';
import type { StreamRegistry } from './stream-registry.js';

/** Names read from the registry per round while a page is filled. */
const SCAN_BATCH = 200;

/** What reading the streams of a list needs. */
interface ListContext {
  registry: StreamRegistry;
  link: RedisLink;
  calls: CallOptions;
  keysOf: (name: string) => RedisKeys;
}

/**
 * One page of `list`: names from the registry in name order (ZRANGEBYLEX, prefix as a range) or by
 * last activity (ZREVRANGEBYSCORE, paged by `listByRecency`), each stream's info by its own script,
 * label filter here. A name whose stream is gone (wiped keys) is skipped. `next` is given only when
 * another match exists.
 */
export async function listStreams(
  registry: StreamRegistry,
  link: RedisLink,
  calls: CallOptions,
  keysOf: (name: string) => RedisKeys,
  query: ListStreamsQuery,
): Promise<ListStreamsPage> {
  const context: ListContext = { registry, link, calls, keysOf };
  if (query.order === 'recent') return listByRecency(recentSource(context, query), query);
  const prefix = query.prefix ?? '';
  let cursor: string | undefined = query.after === undefined || query.after === '' ? undefined : decodeListCursor(query.after, 'name').name;
  const found: StoredStreamInfo[] = [];
  const want = query.limit + 1;
  for (;;) {
    const batch = await registry.names(cursor, prefix, SCAN_BATCH);
    found.push(...(await matching(context, query, batch, want - found.length)).map((item) => item.info));
    const last = batch[batch.length - 1];
    if (found.length >= want || last === undefined || batch.length < SCAN_BATCH) break;
    cursor = last;
  }
  const page = found.slice(0, query.limit);
  const result: ListStreamsPage = { streams: page };
  const lastOfPage = page[page.length - 1];
  if (found.length > query.limit && lastOfPage !== undefined)
    result.next = encodeListCursor({ name: lastOfPage.name, activity: 0 }, 'name');
  return result;
}

/** The streams of `batch` (names with their activity scores) that `query` lists, at most `count`, as recency items. */
async function matchingScored(
  context: ListContext,
  query: ListStreamsQuery,
  batch: readonly { name: string; score: number }[],
  count: number,
): Promise<RecentItem[]> {
  const scores = new Map(batch.map((item) => [item.name, item.score]));
  const listed = await matching(
    context,
    query,
    batch.map((item) => item.name),
    count,
  );
  return listed.map((item) => ({ info: item.info, activity: scores.get(item.name) as number }));
}

/** `order=recent` over the registry's `recent` scores; equal scores in name order, as every database lists them. */
function recentSource(context: ListContext, query: ListStreamsQuery): RecentSource {
  const { registry } = context;
  return {
    bound: () => registry.topActivity(),
    async byRecency(after, bound, count) {
      let cursor = after === undefined ? undefined : { score: after.activity, name: after.name };
      const found: RecentItem[] = [];
      for (;;) {
        const batch = await registry.recent(cursor, SCAN_BATCH, bound);
        found.push(...(await matchingScored(context, query, batch, count - found.length)));
        const last = batch[batch.length - 1];
        if (found.length >= count || last === undefined || batch.length < SCAN_BATCH) return found;
        cursor = last;
      }
    },
    async movedByName(bound, afterName, count) {
      const moved = await registry.movedSince(bound, afterName);
      const found: RecentItem[] = [];
      for (let i = 0; i < moved.length && found.length < count; i += SCAN_BATCH) {
        found.push(...(await matchingScored(context, query, moved.slice(i, i + SCAN_BATCH), count - found.length)));
      }
      return found;
    },
  };
}

/** The first `count` of `names` that start with the prefix, still exist and carry the labels, with their info. */
async function matching(
  context: ListContext,
  query: ListStreamsQuery,
  names: readonly string[],
  count: number,
): Promise<{ name: string; info: StoredStreamInfo }[]> {
  const { registry, link, calls, keysOf } = context;
  const candidates = names.filter((name) => name.startsWith(query.prefix ?? ''));
  const infos = await Promise.all(candidates.map((name) => read(calls, () => streamInfo(link, name, keysOf(name)))));
  const found: { name: string; info: StoredStreamInfo }[] = [];
  candidates.forEach((name, i) => {
    const info = infos[i];
    if (info === undefined) void unlistGone(registry, link, name, keysOf(name)).catch((error: unknown) => calls.onError?.(error));
    if (info !== undefined && matchesListQuery(info.name, info.labels, query) && found.length < count) found.push({ name, info });
  });
  return found;
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
