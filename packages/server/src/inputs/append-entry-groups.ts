import { LivelogError, type LogDatabase, type LogStore, type NewEntry } from '@livelog/core';
import { assertCovers } from '../auth/authorize.js';
import type { Grant } from '../auth/tokens.js';
import type { EntryGroup } from './entry-group.js';

/** What `appendEntryGroups` needs to know of the request. */
export interface AppendTarget {
  database: LogDatabase;
  /** The stream of groups that name none: the one the request was sent to. */
  stream: string;
  /** What the request's token grants: every stream a group names must be covered (ingest). */
  grant: Grant;
}

/**
 * Stores the groups an input mapped from one request, and resolves once durable; to the entries
 * stored.
 *
 * Groups of one stream are appended in one atomic batch, in group order. A request naming several
 * streams (a Loki push with `--loki-stream-label`) is checked whole before anything is written: every
 * stream must be covered by the token (403) and open (409), so that such a request is refused
 * without a line stored. Past those checks each stream's batch commits on its own: a store failure
 * in between (disk full) can leave the earlier streams written, and the sender's retry writes them
 * again.
 */
export async function appendEntryGroups(target: AppendTarget, groups: readonly EntryGroup[]): Promise<number> {
  const byStream = new Map<string, NewEntry[]>();
  for (const group of groups) {
    const name = group.stream ?? target.stream;
    let entries = byStream.get(name);
    if (entries === undefined) {
      entries = [];
      byStream.set(name, entries);
    }
    for (const entry of group.entries) entries.push(entry);
  }
  for (const name of byStream.keys()) assertCovers(target.grant, name);
  const stores: [LogStore, NewEntry[]][] = [];
  for (const [name, entries] of byStream) {
    const store = await target.database.openStream(name);
    if (store.ended() !== undefined) {
      throw new LivelogError('LIVELOG_ERR_STREAM_ENDED', `the stream ${JSON.stringify(name)} was ended and takes no more entries`);
    }
    stores.push([store, entries]);
  }
  // Streams commit together in the store's group commit: appending them at once costs one commit.
  await Promise.all(stores.map(([store, entries]) => store.append(entries)));
  return stores.reduce((sum, [, entries]) => sum + entries.length, 0);
}
