import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LogEntry } from '@livelog/protocol';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { AppendResult, LogStore } from './log-store.js';
import { SqliteDatabase } from './sqlite-database.js';

const STREAMS = 1000;
const WRITERS = 8;
const ROUNDS = 12;
/** Appends one writer issues in one event-loop turn (a burst), each to a random stream. */
const BURST = 60;

/** A small seeded generator, so that a failing run can be repeated. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

describe('SqliteGroupCommit', () => {
  // Issue 10 item 4: ingest into 1,000 different streams at once keeps group commit across streams.
  it('keeps every one of 1,000 streams written concurrently gapless and exactly once, many streams per commit', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'livelog-group-commit-'));
    const name = (i: number): string => `job-${String(i).padStart(4, '0')}`;
    /** Per stream: the messages sent and the seq ranges acknowledged. */
    const sent = new Map<string, string[]>();
    const acked = new Map<string, [number, number][]>();
    let appends = 0;
    try {
      const database = new SqliteDatabase({ dir });
      await database.open();
      const before = database.stats.commits;
      const writer = async (id: number): Promise<void> => {
        const next = random(id + 1);
        for (let round = 0; round < ROUNDS; round++) {
          // Streams are created by their first write, inside the same commits as the others' writes.
          const burst: Promise<void>[] = [];
          for (let n = 0; n < BURST; n++) {
            const stream = name(Math.floor(next() * STREAMS));
            const size = 1 + Math.floor(next() * 5);
            const msgs = Array.from({ length: size }, (_, k) => `w${id}-r${round}-n${n}-k${k}`);
            const messages = sent.get(stream) ?? [];
            messages.push(...msgs);
            sent.set(stream, messages);
            appends++;
            burst.push(
              database
                .openStream(stream)
                .then((store: LogStore) =>
                  store.append(msgs.map((msg) => ({ time: Date.now(), level: 'info' as const, source: `w${id}`, msg }))),
                )
                .then((result: AppendResult) => {
                  expect(result.lastSeq - result.firstSeq + 1).toBe(size);
                  const ranges = acked.get(stream) ?? [];
                  ranges.push([result.firstSeq, result.lastSeq]);
                  acked.set(stream, ranges);
                }),
            );
          }
          await Promise.all(burst);
        }
      };
      // Every stream written at least once too, all in one turn.
      const everyone = Array.from({ length: STREAMS }, async (_, i) => {
        const stream = name(i);
        const messages = sent.get(stream) ?? [];
        messages.push(`first-${i}`);
        sent.set(stream, messages);
        appends++;
        const result = await (await database.openStream(stream)).append([
          { time: Date.now(), level: 'info', source: 'all', msg: `first-${i}` },
        ]);
        const ranges = acked.get(stream) ?? [];
        ranges.push([result.firstSeq, result.lastSeq]);
        acked.set(stream, ranges);
      });
      await Promise.all([...everyone, ...Array.from({ length: WRITERS }, (_, id) => writer(id))]);
      const commits = database.stats.commits - before;
      await database.close();

      expect(sent.size).toBe(STREAMS);
      // The acknowledged ranges of each stream tile 1..n: no seq twice, none skipped.
      for (const [stream, messages] of sent) {
        const ranges = (acked.get(stream) ?? []).sort((a, b) => a[0] - b[0]);
        let expected = 1;
        for (const [first, last] of ranges) {
          expect(first, stream).toBe(expected);
          expected = last + 1;
        }
        expect(expected - 1, stream).toBe(messages.length);
      }
      // Each burst is queued in one turn, so it joins one commit: commits serve many streams each.
      expect(commits).toBeGreaterThan(0);
      expect(commits).toBeLessThanOrEqual(1 + WRITERS * ROUNDS);
      expect(appends / commits).toBeGreaterThan(10);

      // One real SQLite file, read back after a restart: every stream holds seqs 1..n, each message once.
      expect((await readdir(dir)).filter((file) => file.endsWith('.db'))).toEqual(['livelog.db']);
      const raw = new Database(join(dir, 'livelog.db'), { readonly: true });
      try {
        const rows = raw.prepare('SELECT COUNT(*) AS streams, SUM(last_seq) AS seqs, SUM(entries) AS entries FROM streams').get();
        const total = [...sent.values()].reduce((sum, messages) => sum + messages.length, 0);
        expect(rows).toEqual({ streams: STREAMS, seqs: total, entries: total });
        expect(raw.prepare('SELECT COUNT(*) AS n FROM entries').get()).toEqual({ n: total });
      } finally {
        raw.close();
      }
      const reopened = new SqliteDatabase({ dir });
      await reopened.open();
      try {
        for (const [stream, messages] of sent) {
          const store = await reopened.stream(stream);
          if (store === undefined) throw new Error(`${stream} is missing after the restart`);
          const rows = await store.readAfter(0, messages.length + 1);
          expect(
            rows.map((row) => row.seq),
            stream,
          ).toEqual(Array.from({ length: messages.length }, (_, i) => i + 1));
          const read = rows.map((row) => JSON.parse(row.json) as LogEntry);
          expect(
            read.map((entry) => entry.id),
            stream,
          ).toEqual(rows.map((row) => `${store.streamId}:${row.seq}`));
          expect(read.map((entry) => entry.msg).sort(), stream).toEqual([...messages].sort());
        }
      } finally {
        await reopened.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
