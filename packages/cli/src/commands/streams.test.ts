import type { StreamInfo } from '@livelog/client';
import { describe, expect, it } from 'vitest';
import { addPage, formatTable } from './streams-action.js';

const base: StreamInfo = {
  name: 'api',
  identity: 'abc',
  labels: {},
  state: 'open',
  first: 1,
  last: 10,
  entries: 10,
  bytes: 2048,
  readers: 1,
  created: 0,
};

describe('livelog streams: the table', () => {
  it('aligns one row per stream with state, entries, bytes, readers, last activity and labels', () => {
    const now = 1_000_000;
    const text = formatTable(
      [
        { ...base, lastTime: now - 5000, labels: { env: 'prod', service: 'api' } },
        {
          ...base,
          name: 'build-1234',
          state: 'ended',
          end: { time: now, exitCode: 3 },
          entries: 1234567,
          bytes: 5 * 1024 ** 2,
          readers: 0,
        },
      ],
      now,
    );
    expect(text.split('\n')).toEqual([
      'NAME        STATE           ENTRIES    BYTES    READERS  LAST    LABELS',
      'api         open            10         2.0 KiB  1        5s ago  env=prod,service=api',
      'build-1234  ended · exit 3  1,234,567  5.0 MiB  0        -',
      '',
    ]);
    expect(formatTable([], now)).toBe('no streams\n');
  });

  it('strips what could act on the terminal from labels and reasons', () => {
    const text = formatTable(
      [{ ...base, labels: { note: 'a\u001b]0;owned\u0007b\nc' }, state: 'ended', end: { time: 0, reason: 'x\u001b[2Jy' } }],
      0,
    );
    expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
    expect(text).toContain('note=ab c');
    expect(text).toContain('ended · xy');
  });
});

describe('livelog streams: the pages', () => {
  it('lists a stream that comes again on a later page (written while paging by recent) once, in its first place, with the newer info', () => {
    const streams: StreamInfo[] = [];
    addPage(streams, [
      { ...base, name: 'b', entries: 1 },
      { ...base, name: 'a', entries: 1 },
    ]);
    addPage(streams, [
      { ...base, name: 'c', entries: 1 },
      { ...base, name: 'b', entries: 2 },
    ]);
    expect(streams.map((stream) => [stream.name, stream.entries])).toEqual([
      ['b', 2],
      ['a', 1],
      ['c', 1],
    ]);
  });
});
