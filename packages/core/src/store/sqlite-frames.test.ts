import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatId } from '@livelog/protocol';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NewEntry } from '../entry/new-entry.js';
import { encodeEntryFrame } from '../sse/encode-event.js';
import type { LogStore } from './log-store.js';
import { SqliteDatabase } from './sqlite-database.js';
import { checkedOffsets, FrameStatements } from './sqlite-frames.js';
import { SqliteReader } from './sqlite-reader.js';

const PREFIX = 'sid';
const ENTRIES = 2500;

function entries(count: number, from = 0): NewEntry[] {
  // Multi-byte text too: offsets are in bytes.
  return Array.from({ length: count }, (_, i) => ({ time: 1000 + i, level: 'info', source: 'app', msg: `line ${from + i} é€😀` }));
}

/** The frames of the stored entries after `after`, encoded one by one from rows: what a page must hold. */
async function expected(store: LogStore, after: number, limit: number): Promise<{ text: string; seqs: number[] }> {
  const rows = await store.readAfter(after, limit);
  return { text: rows.map((row) => encodeEntryFrame(formatId(PREFIX, row.seq), row.json)).join(''), seqs: rows.map((row) => row.seq) };
}

describe('catch-up frame pages from SQLite', () => {
  let dir: string;
  let database: SqliteDatabase;
  let store: LogStore;
  let key: number;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'livelog-sqlite-frames-'));
    database = new SqliteDatabase({ dir });
    await database.open();
    store = await database.openStream('default');
    for (let first = 0; first < ENTRIES; first += 1000) await store.append(entries(Math.min(1000, ENTRIES - first), first));
    // A second stream around it: a page never reaches into another stream's rowids.
    const other = await database.openStream('other');
    await other.append(entries(10));
    const probe = new Database(database.file, { readonly: true });
    key = (probe.prepare("SELECT key FROM streams WHERE name = 'default'").get() as { key: number }).key;
    probe.close();
  });

  afterEach(async () => {
    await database.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('reads exactly the frames of the entries after a cursor, with their offsets, through the reader thread', async () => {
    for (const [after, limit] of [
      [0, 1000],
      [1, 1000],
      [999, 7],
      [2400, 1000],
      [ENTRIES - 1, 1000],
    ] as const) {
      const page = await store.readFrames?.(after, limit, PREFIX);
      const want = await expected(store, after, limit);
      expect(page?.frames.toString('utf8')).toBe(want.text);
      expect([page?.firstSeq, page?.lastSeq, page?.count]).toEqual([want.seqs[0], want.seqs.at(-1), want.seqs.length]);
      const offsets = [...(page?.offsets ?? [])];
      expect(offsets).toHaveLength(want.seqs.length + 1);
      expect(offsets.at(-1)).toBe(page?.frames.length);
      // Each offset starts its entry's frame, which ends at the next offset.
      const rows = await store.readAfter(after, limit);
      rows.forEach((row, i) => {
        expect(page?.frames.toString('utf8', offsets[i], offsets[i + 1])).toBe(encodeEntryFrame(formatId(PREFIX, row.seq), row.json));
      });
    }
    expect(await store.readFrames?.(ENTRIES, 1000, PREFIX)).toBeUndefined();
  });

  it('starts a page at the first entry retention left when it removed the whole window after the cursor', async () => {
    await store.prune({ maxEntries: 500 }, 10_000);
    const page = await store.readFrames?.(100, 1000, PREFIX);
    const want = await expected(store, 100, 1000);
    expect(want.seqs[0]).toBe(ENTRIES - 500 + 1);
    expect(page?.firstSeq).toBe(ENTRIES - 500 + 1);
    expect(page?.frames.toString('utf8')).toBe(want.text);
  });

  it('rejects reads of a deleted stream and of a closed database', async () => {
    await store.readFrames?.(0, 10, PREFIX);
    await database.delete('default');
    await expect(store.readFrames?.(0, 10, PREFIX)).rejects.toMatchObject({ code: 'LIVELOG_ERR_STREAM_NOT_FOUND' });
    const other = await database.openStream('other');
    await database.close();
    await expect(other.readFrames?.(0, 10, PREFIX)).rejects.toMatchObject({ code: 'LIVELOG_ERR_STORE_CLOSED' });
  });

  it('checks the order SQLite scanned in, and reads a page sorted when it is not ascending', async () => {
    // reverse_unordered_selects makes SQLite scan the rowid range backwards: the frames come out descending.
    const reader = await SqliteReader.start(database.file, true);
    try {
      const page = await reader.frames(key, 10, 300, PREFIX);
      expect(page?.frames.toString('utf8')).toBe((await expected(store, 10, 300)).text);
      expect(await reader.resorted()).toBe(1);
    } finally {
      await reader.close();
    }
  });

  it('builds the same bytes in this thread (FrameStatements) and leaves a normal scan unsorted', async () => {
    const db = new Database(database.file, { readonly: true });
    try {
      const statements = new FrameStatements(db);
      const page = statements.read(key, 0, ENTRIES, PREFIX);
      expect(page?.frames.toString('utf8')).toBe((await expected(store, 0, ENTRIES)).text);
      expect(statements.resorted).toBe(0);
    } finally {
      db.close();
    }
  });
});

describe('checkedOffsets', () => {
  const frame = (seq: number): string => encodeEntryFrame(formatId(PREFIX, seq), `{"seq":${seq},"msg":"a\\n\\nb"}`);

  it('finds where each frame starts, and the first and last seq, when the ids rise', () => {
    const frames = Buffer.from(frame(7) + frame(8) + frame(10));
    const checked = checkedOffsets(frames, 3, PREFIX);
    expect(checked?.firstSeq).toBe(7);
    expect(checked?.lastSeq).toBe(10);
    expect([...(checked?.offsets ?? [])]).toEqual([0, frame(7).length, frame(7).length * 2, frames.length]);
  });

  it('rejects frames out of order, repeated, miscounted or cut', () => {
    expect(checkedOffsets(Buffer.from(frame(8) + frame(7) + frame(9)), 3, PREFIX)).toBeUndefined();
    expect(checkedOffsets(Buffer.from(frame(7) + frame(7) + frame(9)), 3, PREFIX)).toBeUndefined();
    expect(checkedOffsets(Buffer.from(frame(7) + frame(8)), 3, PREFIX)).toBeUndefined();
    expect(checkedOffsets(Buffer.from(frame(7) + frame(8) + frame(9)), 2, PREFIX)).toBeUndefined();
    expect(checkedOffsets(Buffer.from(frame(7) + frame(8) + frame(9).slice(0, -1)), 3, PREFIX)).toBeUndefined();
    // The layout before the id line moved last (`id:` first) is not mistaken for frames.
    const idFirst = (seq: number): string => `id: ${formatId(PREFIX, seq)}\ndata: {"seq":${seq}}\n\n`;
    expect(checkedOffsets(Buffer.from(idFirst(7) + idFirst(8) + idFirst(9)), 3, PREFIX)).toBeUndefined();
  });
});
