import type { AppendResult, LogStore } from '@livelog/core';
import type { EntryGroup } from './entry-group.js';

/**
 * Stores the groups an input mapped from one request, all or nothing, and resolves once durable.
 *
 * The caller chooses each group's stream. The server holds one store today, so every group goes to
 * it, in group order, in a single atomic append: a request is either stored whole or not at all,
 * and a client that retries after an error answer stores nothing twice.
 */
export async function appendEntryGroups(store: LogStore, groups: readonly EntryGroup[]): Promise<AppendResult> {
  const entries = groups.length === 1 ? (groups[0] as EntryGroup).entries : groups.flatMap((group) => group.entries);
  return store.append(entries);
}
