import type { StreamRetention } from '@livelog/protocol';
import type Database from 'better-sqlite3';
import { LivelogError } from '../errors.js';
import type { IdempotencyLimits } from './idempotency.js';
import { effectiveRetention } from './log-database.js';
import type { RetentionPolicy } from './log-store.js';
import { SEQ_BITS, SEQ_MASK } from './sqlite-schema.js';
import type { DuePolicy, SqliteWriter } from './sqlite-writer.js';

/** Entries removed per purge step of a deleted stream. */
const PURGE_BATCH = 5000;

/** What retention reads from its database at each step (the values change while it runs). */
export interface RetentionHost {
  /** The writer thread, or undefined once the database is closed (or closing). */
  writer(): SqliteWriter | undefined;
  /** The group commit running now, if any. */
  committing(): Promise<void> | undefined;
  /** A cached statement on the reading connection. */
  statement(sql: string): Database.Statement;
}

/**
 * Retention of a SQLite database: the due-time policy the writer thread judges streams by, pruning
 * of the streams whose due time has come, expiry of idempotency keys, and the batched purge of
 * deleted streams.
 */
export class SqliteRetention {
  readonly #host: RetentionHost;
  readonly #keyLimits: Required<IdempotencyLimits>;
  #policy: DuePolicy;
  #policyKey: string;

  constructor(host: RetentionHost, keyLimits: Required<IdempotencyLimits>) {
    this.#host = host;
    this.#keyLimits = keyLimits;
    this.#policy = { maxEntries: null, maxBytes: null, maxAgeMs: null, maxKeys: keyLimits.maxKeys };
    this.#policyKey = JSON.stringify(this.#policy);
  }

  /** The retention the writer judges `prune_due` by (the server's defaults once a prune pass has run). */
  get policy(): DuePolicy {
    return this.#policy;
  }

  /** One retention pass over every stream, removing at most about `batchSize` entries. */
  async prune(defaults: RetentionPolicy, batchSize: number): Promise<number> {
    const writer = this.#host.writer();
    if (writer === undefined) return 0;
    const policy: DuePolicy = {
      maxEntries: defaults.maxEntries ?? null,
      maxBytes: defaults.maxBytes ?? null,
      maxAgeMs: defaults.maxAgeMs ?? null,
      maxKeys: this.#keyLimits.maxKeys,
    };
    const policyKey = JSON.stringify(policy);
    if (policyKey !== this.#policyKey) {
      // New defaults (the first pass after open): every stream's due time is judged again, once.
      this.#policy = policy;
      this.#policyKey = policyKey;
      await writer.request({ type: 'policy', policy });
    }
    let removed = 0;
    // A deletion interrupted by a restart goes on (in batches, like any deletion).
    const orphan = this.#host.statement('SELECT key FROM deleted_streams LIMIT 1').get() as { key: number } | undefined;
    if (orphan !== undefined && (await writer.request({ type: 'purge', key: orphan.key, limit: PURGE_BATCH })) === 0)
      removed += PURGE_BATCH;
    const keysBefore = Date.now() - this.#keyLimits.ttlMs;
    if (this.#host.statement('SELECT 1 FROM stream_keys WHERE created < ? LIMIT 1').get(keysBefore) !== undefined) {
      removed += await writer.request({ type: 'expire-keys', before: keysBefore, limit: batchSize });
    }
    // Only streams whose due time has come: an idle stream costs nothing per pass.
    const due = this.#host
      .statement('SELECT key, name, retention FROM streams WHERE prune_due <= ? ORDER BY prune_due LIMIT 64')
      .all(Date.now()) as {
      key: number;
      name: string;
      retention: string | null;
    }[];
    for (const row of due) {
      if (removed >= batchSize) break;
      const own = row.retention === null ? undefined : (JSON.parse(row.retention) as StreamRetention);
      removed += await this.pruneStream(row.key, effectiveRetention(defaults, own), batchSize - removed);
    }
    return removed;
  }

  /** Removes up to `batchSize` of one stream's oldest entries that `policy` no longer keeps. */
  async pruneStream(key: number, policy: RetentionPolicy, batchSize: number): Promise<number> {
    const writer = this.#host.writer();
    if (writer === undefined) throw new LivelogError('LIVELOG_ERR_STORE_CLOSED', 'the SQLite store is closed');
    // Pruning must not race a commit: it counts on the committed counters.
    await this.#host.committing();
    const row = this.#host.statement('SELECT entries, bytes FROM streams WHERE key = ?').get(key) as
      | { entries: number; bytes: number }
      | undefined;
    if (row === undefined) return 0;
    const oldest = this.#host
      .statement(
        `SELECT seq & ${SEQ_MASK}, COALESCE(received, time), size FROM entries WHERE seq > (? << ${SEQ_BITS}) AND seq <= ((? << ${SEQ_BITS}) | ${SEQ_MASK}) ORDER BY seq LIMIT ?`,
      )
      .raw(true)
      .all(key, key, batchSize) as [number, number, number][];
    const cutoff = policy.maxAgeMs === undefined ? undefined : Date.now() - policy.maxAgeMs;
    let count = row.entries;
    let bytes = row.bytes;
    let upTo = 0;
    let removed = 0;
    for (const [seq, received, size] of oldest) {
      const overCount = policy.maxEntries !== undefined && count > policy.maxEntries;
      const overBytes = policy.maxBytes !== undefined && bytes > policy.maxBytes;
      const tooOld = cutoff !== undefined && received < cutoff;
      if (!overCount && !overBytes && !tooOld) break;
      upTo = seq;
      count--;
      bytes -= size;
      removed++;
    }
    await writer.request({ type: 'prune', key, upTo, policy: this.#policy });
    return removed;
  }

  /** Removes a deleted stream's entries in batches, yielding between them. */
  async purge(key: number): Promise<void> {
    for (;;) {
      const writer = this.#host.writer();
      if (writer === undefined) return;
      if ((await writer.request({ type: 'purge', key, limit: PURGE_BATCH })) === 1) return;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
}
