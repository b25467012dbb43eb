import type { StreamInfo } from '@livelog/client';
import { describe, expect, it } from 'vitest';
import { byRecentActivity, matchesStreamQuery, streamPageUrl, streamStateText, timeAgo } from './stream-search.js';

const stream = (name: string, extra: Partial<StreamInfo> = {}): StreamInfo => ({
  name,
  identity: 'id',
  labels: {},
  state: 'open',
  first: 1,
  last: 0,
  entries: 0,
  bytes: 0,
  readers: 0,
  created: 0,
  ...extra,
});

describe('the stream picker search', () => {
  const api = stream('api-prod', { labels: { env: 'prod', service: 'api' } });

  it('matches every term against the name or a key=value label, case-insensitively', () => {
    expect(matchesStreamQuery(api, '')).toBe(true);
    expect(matchesStreamQuery(api, 'API')).toBe(true);
    expect(matchesStreamQuery(api, 'env=prod')).toBe(true);
    expect(matchesStreamQuery(api, 'env:prod')).toBe(true);
    expect(matchesStreamQuery(api, 'service= prod')).toBe(true);
    expect(matchesStreamQuery(api, 'env=staging')).toBe(false);
    expect(matchesStreamQuery(api, 'api worker')).toBe(false);
  });

  it('orders by last activity (lines, end, creation), newest first, then by name', () => {
    const list = [
      stream('old', { lastTime: 10 }),
      stream('ended-late', { lastTime: 5, end: { time: 50 } }),
      stream('fresh', { created: 40 }),
      stream('b-same', { lastTime: 30 }),
      stream('a-same', { lastTime: 30 }),
    ];
    expect(list.sort(byRecentActivity).map((s) => s.name)).toEqual(['ended-late', 'fresh', 'a-same', 'b-same', 'old']);
  });

  it('words the state and the last activity', () => {
    expect(streamStateText(stream('x'))).toBe('open');
    expect(streamStateText(stream('x', { state: 'ended', end: { time: 1, exitCode: 0 } }))).toBe('ended · exit 0');
    expect(streamStateText(stream('x', { state: 'ended', end: { time: 1, reason: 'cancelled' } }))).toBe('ended · cancelled');
    expect(timeAgo(undefined, 0)).toBe('no lines yet');
    expect(timeAgo(0, 42_000)).toBe('42 s ago');
    expect(timeAgo(0, 5 * 60_000)).toBe('5 min ago');
    expect(timeAgo(0, 3 * 3_600_000)).toBe('3 h ago');
  });

  it('gives each stream its own URL, keeping the other parameters and dropping a permalink', () => {
    expect(streamPageUrl('http://h/logs/?token=t#id=abc:5', 'build-1')).toBe('http://h/logs/?token=t&stream=build-1');
    expect(streamPageUrl('http://h/?stream=build-1&level=warn', undefined)).toBe('http://h/?level=warn');
    expect(streamPageUrl('http://h/?stream=build-1', 'default')).toBe('http://h/');
  });
});
