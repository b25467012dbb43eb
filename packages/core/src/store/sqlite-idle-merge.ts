import type Database from 'better-sqlite3';
import { withoutOwnFsync } from './derived-writes.js';

/** Quiet time after a request before merge work starts, in ms: a paced sender's next batch comes sooner or much later. */
const QUIET_MS = 2;
/** Pages of merge work per step: one short transaction, so a request arriving meanwhile waits little. */
const STEP_PAGES = 4;

/**
 * Merges the search index's segments while the writer thread is idle, instead of inside commits.
 *
 * Left to FTS5's `automerge`, each commit that carries the index's write counter over a multiple of
 * 64 leaf pages also merges ~64 pages per index level: measured with 100-entry commits, most wrote
 * 27 WAL pages, the 99th percentile 117 and the largest 372 (issue 12 item 3: those commits, and
 * everything queued behind them, were the latency tail). With `automerge` off, commits only add a
 * small level-0 segment; this runs FTS5's `merge` command a step at a time once no request has come
 * for QUIET_MS, until it reports nothing left to merge. Searches see the same rows at every step:
 * merging rewrites segments, never what they hold. A writer that is never idle still merges: FTS5's
 * `crisismerge` (16 segments on one level) stays on inside commits.
 */
export class IdleMerge {
  readonly #merge: Database.Statement;
  readonly #changes: Database.Statement;
  readonly #db: Database.Database;
  #timer: NodeJS.Timeout | undefined;
  #immediate: NodeJS.Immediate | undefined;

  constructor(db: Database.Database) {
    // Stored in the index's config table: commits stop merging from now on, in every connection.
    this.#db = db;
    db.prepare("INSERT INTO entries_fts (entries_fts, rank) VALUES ('automerge', 0)").run();
    this.#merge = db.prepare("INSERT INTO entries_fts (entries_fts, rank) VALUES ('merge', ?)");
    this.#changes = db.prepare('SELECT total_changes() AS n').pluck();
  }

  /** A request arrived: no merge step starts before it is answered. */
  busy(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    if (this.#immediate !== undefined) clearImmediate(this.#immediate);
    this.#timer = undefined;
    this.#immediate = undefined;
  }

  /** A request was answered: merge once the writer stays quiet. */
  answered(): void {
    this.busy();
    this.#timer = setTimeout(() => this.#step(), QUIET_MS);
    this.#timer.unref();
  }

  #step(): void {
    this.#timer = undefined;
    this.#immediate = undefined;
    let more: boolean;
    try {
      const before = this.#changes.get() as number;
      withoutOwnFsync(this.#db, () => this.#merge.run(STEP_PAGES));
      // FTS5's documented signal: a `merge` that changed fewer than 2 rows found nothing to merge.
      more = (this.#changes.get() as number) - before >= 2;
    } catch {
      // The next answered request tries again; commits never depend on merging.
      return;
    }
    // setImmediate: requests that came during the step are handled first (and cancel the next step).
    if (more) this.#immediate = setImmediate(() => this.#step()).unref();
  }
}
