import { describe, expect, it } from 'vitest';
import { type LedgerEntry, StreamLedger } from './stream-ledger.js';

/** A ledger of two streams, `a` (identity aaaa, 4 entries) and `b` (identity bbbb, 2 entries). */
function ledger(): StreamLedger {
  const book = new StreamLedger();
  book.acknowledged('a', { firstId: 'aaaa:1', lastId: 'aaaa:3' }, ['a1', 'a2', 'a3']);
  book.acknowledged('b', { firstId: 'bbbb:1', lastId: 'bbbb:2' }, ['b1', 'b2']);
  book.acknowledged('a', { firstId: 'aaaa:4', lastId: 'aaaa:4' }, ['a4']);
  return book;
}

const entry = (identity: string, seq: number, msg: string): LedgerEntry => ({ id: `${identity}:${seq}`, seq, msg });
const streamA = (): LedgerEntry[] => [1, 2, 3, 4].map((seq) => entry('aaaa', seq, `a${seq}`));

describe('StreamLedger', () => {
  it('passes a stream read whole, in order', () => {
    expect(ledger().problems('a', streamA())).toEqual([]);
    expect(ledger().lastSeq('a')).toBe(4);
  });

  it.each([
    ['a missing seq', (entries: LedgerEntry[]) => entries.filter((item) => item.seq !== 3), 'seq 4 where 3 was due'],
    [
      'a duplicate',
      (entries: LedgerEntry[]) => [...entries.slice(0, 2), entries[1] as LedgerEntry, ...entries.slice(2)],
      'seq 2 where 3 was due',
    ],
    ['two swapped', (entries: LedgerEntry[]) => [entries[0], entries[2], entries[1], entries[3]] as LedgerEntry[], 'seq 3 where 2 was due'],
    ['a lost tail', (entries: LedgerEntry[]) => entries.slice(0, 3), 'ended at seq 3, 4 acknowledged'],
    ['an entry of another stream', (entries: LedgerEntry[]) => [...entries, entry('bbbb', 5, 'b1')], 'does not belong to identity aaaa'],
    ['a wrong message', (entries: LedgerEntry[]) => entries.map((item) => (item.seq === 2 ? { ...item, msg: 'b2' } : item)), 'holds "b2"'],
    ['an unacknowledged seq', (entries: LedgerEntry[]) => [...entries, entry('aaaa', 5, 'ghost')], 'never acknowledged'],
  ])('catches %s', (_name, plant, message) => {
    const problems = ledger().problems('a', plant(streamA()));
    expect(problems.join('\n')).toContain(message);
  });

  it('refuses contradicting acknowledgements', () => {
    const book = ledger();
    expect(() => book.acknowledged('a', { firstId: 'cccc:5', lastId: 'cccc:5' }, ['x'])).toThrow('identity');
    expect(() => book.acknowledged('a', { firstId: 'aaaa:4', lastId: 'aaaa:4' }, ['x'])).toThrow('twice');
    expect(() => book.acknowledged('b', { firstId: 'bbbb:3', lastId: 'bbbb:4' }, ['x'])).toThrow('sent');
  });
});
