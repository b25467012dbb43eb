import type { LogEntry } from '@livelog/protocol';
import { describe, expect, it } from 'vitest';
import type { StoredEntry } from '../store/log-store.js';
import { FrameRing } from './frame-ring.js';

function stored(from: number, count: number, level: LogEntry['level'] = 'info'): StoredEntry[] {
  return Array.from({ length: count }, (_, i) => {
    const entry: LogEntry = { id: `s:${from + i}`, seq: from + i, time: 1, level, source: 'x', msg: `m${from + i}` };
    return { seq: entry.seq, json: JSON.stringify(entry), entry };
  });
}

const ids = (buffers: Buffer[]): number[] =>
  [
    ...Buffer.concat(buffers)
      .toString()
      .matchAll(/^id: s:(\d+)$/gm),
  ].map((match) => Number(match[1]));

describe('FrameRing', () => {
  it('serves contiguous frames across batches and shares the batch buffer when it can', () => {
    const ring = new FrameRing('s');
    ring.push(stored(1, 3));
    ring.push(stored(4, 2));
    const whole = ring.collect(1, 1 << 20);
    expect(ids(whole?.buffers ?? [])).toEqual([1, 2, 3, 4, 5]);
    expect(whole?.lastSeq).toBe(5);
    expect(ring.collect(2, 1 << 20)?.buffers.map((buffer) => ids([buffer]))).toEqual([
      [2, 3],
      [4, 5],
    ]);
    expect(ring.collect(6, 1 << 20)).toBeUndefined();
    expect(ring.collect(0, 1 << 20)).toBeUndefined();
  });

  it('stops at the byte budget on an entry boundary, and always gives at least one entry', () => {
    const ring = new FrameRing('s');
    ring.push(stored(1, 10));
    const one = ring.collect(1, 1);
    expect(ids(one?.buffers ?? [])).toEqual([1]);
    const frameSize = one?.buffers[0]?.length ?? 0;
    const three = ring.collect(1, frameSize * 3 + 1);
    expect(ids(three?.buffers ?? [])).toEqual([1, 2, 3]);
    expect(three?.lastSeq).toBe(3);
  });

  it('keeps only matching frames and says when the slice ends on a skipped entry', () => {
    const ring = new FrameRing('s');
    ring.push([...stored(1, 2), ...stored(3, 1, 'error'), ...stored(4, 2)]);
    const slice = ring.collect(1, 1 << 20, (entry) => entry.level === 'error');
    expect(ids(slice?.buffers ?? [])).toEqual([3]);
    expect(slice).toMatchObject({ lastSeq: 5, endsSkipped: true, written: 1 });
  });

  it('filters on entries parsed back from the frames: non-ASCII text, after retention cut a batch', () => {
    const ring = new FrameRing('s');
    const batch = stored(1, 4).map((row) => {
      const entry: LogEntry = { ...(row.entry as LogEntry), msg: `é ✓ 🚀 ${row.seq}` };
      return { seq: row.seq, json: JSON.stringify(entry) };
    });
    ring.push(batch);
    const odd = (entry: LogEntry): boolean => entry.msg === `é ✓ 🚀 ${entry.seq}` && entry.seq % 2 === 1;
    expect(ids(ring.collect(1, 1 << 20, odd)?.buffers ?? [])).toEqual([1, 3]);
    ring.dropBefore(2);
    expect(ids(ring.collect(2, 1 << 20, odd)?.buffers ?? [])).toEqual([3]);
  });

  it('writes every frame byte for byte whatever mix of ASCII and non-ASCII entries a batch holds', () => {
    // Batches of ASCII entries with non-ASCII ones at the start, middle or end, of many lengths: the
    // fast path writes into a buffer sized for ASCII, where a non-ASCII frame can be cut short exactly
    // at its UTF-16 length; each must come out as the frames' own UTF-8, each entry at its offset.
    const text = (seq: number, wide: number, ascii: number): string =>
      `${'語'.repeat(wide)}é${'🚀'.repeat(wide % 3)}${'x'.repeat(ascii)}${seq}`;
    let seq = 1;
    for (let wide = 1; wide <= 60; wide += 7) {
      for (const at of ['first', 'middle', 'last'] as const) {
        for (let ascii = 0; ascii <= 40; ascii += 9) {
          const count = 3;
          const wideIndex = at === 'first' ? 0 : at === 'middle' ? 1 : 2;
          const batch = Array.from({ length: count }, (_, i) => {
            const entry: LogEntry = {
              id: `s:${seq + i}`,
              seq: seq + i,
              time: 1,
              level: 'info',
              source: 'x',
              msg: i === wideIndex ? text(seq + i, wide, 0) : 'a'.repeat(ascii),
            };
            return { seq: seq + i, json: JSON.stringify(entry) };
          });
          const ring = new FrameRing('s');
          ring.push(batch);
          const frames = batch.map((row) => `data: ${row.json}\nid: s:${row.seq}\n\n`);
          expect(Buffer.concat(ring.collect(seq, 1 << 20)?.buffers ?? []).toString()).toBe(frames.join(''));
          for (const [i, frame] of frames.entries()) expect(Buffer.concat(ring.collect(seq + i, 1)?.buffers ?? []).toString()).toBe(frame);
          seq += count;
        }
      }
    }
  });

  it('evicts whole old batches beyond its limits but keeps the newest batch', () => {
    const ring = new FrameRing('s', { maxEntries: 5 });
    ring.push(stored(1, 4));
    ring.push(stored(5, 4));
    expect([ring.firstSeq, ring.lastSeq]).toEqual([5, 8]);
    ring.push(stored(9, 20));
    expect([ring.firstSeq, ring.lastSeq]).toEqual([9, 28]);
  });

  it('ignores seqs it holds and restarts on a discontinuity', () => {
    const ring = new FrameRing('s');
    ring.push(stored(1, 3));
    ring.push(stored(2, 3));
    expect([ring.firstSeq, ring.lastSeq]).toEqual([1, 4]);
    ring.push(stored(10, 2));
    expect([ring.firstSeq, ring.lastSeq]).toEqual([10, 11]);
  });

  it('forgets entries retention removed, even inside a batch', () => {
    const ring = new FrameRing('s');
    ring.push(stored(1, 5));
    ring.push(stored(6, 5));
    ring.dropBefore(3);
    expect(ring.firstSeq).toBe(3);
    expect(ids(ring.collect(3, 1 << 20)?.buffers ?? [])).toEqual([3, 4, 5, 6, 7, 8, 9, 10]);
    ring.dropBefore(8);
    expect(ids(ring.collect(8, 1 << 20)?.buffers ?? [])).toEqual([8, 9, 10]);
    expect(ring.size.entries).toBe(3);
    ring.dropBefore(100);
    expect(ring.firstSeq).toBeUndefined();
  });
});
