import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseQuery } from '@livelog/protocol';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { readAllMatches } from './search.contract.js';
import { SqliteDatabase } from './sqlite-database.js';

const WORDS = ['quokka', 'axolotl', 'narwhal', 'pangolin', 'okapi'];
const BATCHES = 150;
const PER_BATCH = 10;
/** Segments the index may keep once merged: FTS5 merges a level once it holds 4 (its `usermerge`). */
const MERGED_SEGMENTS = 8;

describe('IdleMerge', () => {
  // Issue 12 item 3: FTS5's automerge made some commits write 10× the pages of the others (the
  // latency tail). Commits no longer merge; the writer merges while idle. Without that, 150 commits
  // leave the index in ~20 segments (only FTS5's crisis merge at 16 on a level), and searches must
  // still find exactly the same entries at every step.
  it('merges the search index while the writer is idle, and searches find exactly the same entries', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'livelog-idle-merge-'));
    try {
      const database = new SqliteDatabase({ dir });
      await database.open();
      const segments = new Database(database.file, { readonly: true });
      const count = (): number => segments.prepare('SELECT COUNT(DISTINCT segid) AS n FROM entries_fts_idx').pluck().get() as number;
      try {
        const store = await database.openStream('default');
        const expected = new Map<string, number[]>(WORDS.map((word) => [word, []]));
        let seq = 0;
        for (let b = 0; b < BATCHES; b++) {
          const word = WORDS[b % WORDS.length] as string;
          const entries = Array.from({ length: PER_BATCH }, (_, i) => ({
            time: Date.now(),
            level: 'info' as const,
            source: 'test',
            msg: `batch ${b} entry ${i} ${word}`,
          }));
          for (let i = 0; i < PER_BATCH; i++) expected.get(word)?.push(++seq);
          // One commit per batch: each adds a segment to the index.
          await store.append(entries);
        }
        // Waits for a condition (the writer goes idle after the last append), not for a time.
        for (let polls = 0; count() > MERGED_SEGMENTS && polls < 1000; polls++) await new Promise((resolve) => setTimeout(resolve, 10));
        expect(count()).toBeLessThanOrEqual(MERGED_SEGMENTS);
        for (const word of WORDS) {
          expect(await readAllMatches(store, parseQuery(word), 'forward', 7)).toEqual(expected.get(word));
          expect(await readAllMatches(store, parseQuery(word), 'backward', 11)).toEqual(expected.get(word));
        }
      } finally {
        segments.close();
        await database.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
