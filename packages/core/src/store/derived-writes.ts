import type Database from 'better-sqlite3';

/** SQLite's `synchronous` value for FULL. */
const FULL = 2;

/**
 * Runs `write` with `synchronous = NORMAL` when the connection commits with FULL: for writes of data
 * derived from rows already durable (the search index's rows and merges), whose commit need not wait
 * for an fsync of its own. In WAL mode a power cut may take such a transaction back, never a later
 * one: the next FULL commit's fsync covers every frame before it, and a checkpoint syncs the WAL
 * before it copies it. What is taken back is rebuilt on open (DeferredIndex#catchUp) or merged again.
 */
export function withoutOwnFsync<T>(db: Database.Database, write: () => T): T {
  const synchronous = db.pragma('synchronous', { simple: true }) as number;
  if (synchronous !== FULL) return write();
  db.pragma('synchronous = NORMAL');
  try {
    return write();
  } finally {
    db.pragma('synchronous = FULL');
  }
}
