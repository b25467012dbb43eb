import type { LogEntry } from '@livelog/protocol';
import { describe, expect, it } from 'vitest';
import { LogBuffer } from './log-buffer.js';

const entry = (seq: number, level: LogEntry['level'] = 'info'): LogEntry => ({
  id: `s:${seq}`,
  seq,
  time: seq,
  level,
  source: 'a',
  msg: `m${seq}`,
});
const seqs = (buffer: LogBuffer): number[] => buffer.entries().map((e) => e.seq);

describe('LogBuffer', () => {
  it('appends in order and rejects repeated or backward seqs, counting them', () => {
    const buffer = new LogBuffer();
    buffer.append([entry(1), entry(2)]);
    buffer.append([entry(2), entry(1), entry(3)]);
    expect(seqs(buffer)).toEqual([1, 2, 3]);
    expect(buffer.rejected).toBe(2);
  });

  it('prepends older pages before the oldest entry only', () => {
    const buffer = new LogBuffer();
    buffer.append([entry(10), entry(11)]);
    expect(buffer.prepend([entry(7), entry(8), entry(10)])).toBe(2);
    expect(seqs(buffer)).toEqual([7, 8, 10, 11]);
  });

  it('keeps rows (the locally filtered view) in step with appends, prepends and trims', () => {
    const buffer = new LogBuffer();
    buffer.setMatch((e) => e.level === 'error');
    buffer.append([entry(1), entry(2, 'error'), entry(3), entry(4, 'error')]);
    buffer.prepend([entry(0, 'error')]);
    expect(buffer.rows.map((row) => row.key)).toEqual([0, 2, 4]);
    expect(buffer.trimOldest(3)).toBe(2);
    expect(seqs(buffer)).toEqual([2, 3, 4]);
    expect(buffer.rows.map((row) => row.key)).toEqual([2, 4]);
    buffer.setMatch(() => true);
    expect(buffer.rows.map((row) => row.key)).toEqual([2, 3, 4]);
    expect(buffer.trimNewest(1)).toBe(2);
    expect(buffer.rows.map((row) => row.key)).toEqual([2]);
  });

  it('places a gap marker after the newest entry and finds rows by seq', () => {
    const buffer = new LogBuffer();
    buffer.append([entry(1), entry(2)]);
    buffer.addGap({ fromSeq: 3, toSeq: 9, missed: 7 });
    buffer.append([entry(10)]);
    expect(buffer.rows.map((row) => row.key)).toEqual([1, 2, 'gap:3', 10]);
    expect(buffer.rowIndexOfSeq(10)).toBe(3);
    expect(buffer.rowIndexOfSeq(5)).toBe(-1);
    expect(buffer.entryBySeq(2)?.msg).toBe('m2');
    expect(buffer.size).toBe(3);
  });
});
