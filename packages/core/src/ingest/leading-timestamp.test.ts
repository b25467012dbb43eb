import { describe, expect, it } from 'vitest';
import { leadingTimestamp } from './leading-timestamp.js';

const now = Date.UTC(2024, 4, 2, 12, 0, 0);
const local = (...parts: [number, number, number, number, number, number, number?]): number => new Date(...parts).getTime();

describe('leadingTimestamp', () => {
  it.each([
    ['2024-05-01T12:00:00Z started', Date.UTC(2024, 4, 1, 12)],
    ['2024-05-01T12:00:00.123456Z x', Date.UTC(2024, 4, 1, 12, 0, 0, 123)],
    ['2024-05-01T14:00:00+02:00 x', Date.UTC(2024, 4, 1, 12)],
    ['2024-05-01T05:00:00-0700 x', Date.UTC(2024, 4, 1, 12)],
    ['2024-05-01t12:00:00z x', Date.UTC(2024, 4, 1, 12)],
    ['2024-05-01 12:00:00,250 INFO root: x', local(2024, 4, 1, 12, 0, 0, 250)],
    ['2024-05-01 12:00:00.5 x', local(2024, 4, 1, 12, 0, 0, 500)],
    ['2024-05-01T12:00:00Z', Date.UTC(2024, 4, 1, 12)],
    ['[2024-05-01T12:00:00.000Z] INFO x', Date.UTC(2024, 4, 1, 12)],
    ['<34>1 2024-05-01T12:00:00.003Z host app 1 - - msg', Date.UTC(2024, 4, 1, 12, 0, 0, 3)],
    ['2024/05/01 12:00:00 listening', local(2024, 4, 1, 12, 0, 0)],
    ['2024/05/01 12:00:00 [error] 7#7: *1 open() failed', local(2024, 4, 1, 12, 0, 0)],
    ['127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326', Date.UTC(2000, 9, 10, 20, 55, 36)],
    ['::1 - - [01/May/2024:12:00:00 +0000] "GET / HTTP/1.1" 200 612 "-" "curl/8.5.0"', Date.UTC(2024, 4, 1, 12)],
    ['[01/May/2024:12:00:00 +0000] x', Date.UTC(2024, 4, 1, 12)],
    ['Oct 11 22:14:15 mymachine su: x', local(2023, 9, 11, 22, 14, 15)],
    ['May  2 11:00:00 host kernel: x', local(2024, 4, 2, 11, 0, 0)],
    ['<34>Oct 11 22:14:15 mymachine su: x', local(2023, 9, 11, 22, 14, 15)],
    ['2024-05-01T23:59:60Z leap', Date.UTC(2024, 4, 1, 23, 59, 59)],
    ['2024-02-29T00:00:00Z x', Date.UTC(2024, 1, 29)],
    ['2024-05-01T12:00:00.123456789+02 x', Date.UTC(2024, 4, 1, 10, 0, 0, 123)],
    ['2024-05-01T12:00:00Z|x', Date.UTC(2024, 4, 1, 12)],
    ['2024/05/01 12:00:00.123456 x', local(2024, 4, 1, 12, 0, 0, 123)],
  ])('%j', (line, expected) => {
    expect(leadingTimestamp(line, now)).toBe(expected);
  });

  it.each([
    'just text',
    '',
    '2024-05-01 date only',
    '20x4-05-01T12:00:00Z a letter in the year',
    '2024-05-01T12:0x:00Z a letter in the minutes',
    '2024-05-01T12:00:00+0x:00 a letter in the zone',
    '2023-02-29T12:00:00Z not a leap year',
    '2024/05/01T12:00:00 T in Go form',
    '2024/05/01 12:00:00,5 comma in Go form',
    '2024-05-01T12:00 no seconds',
    '2024-13-01T12:00:00Z month 13',
    '2024-02-30T12:00:00Z February 30',
    '2024-05-01T24:00:00Z hour 24',
    '2024-05-01T12:00:00Zulu is not a zone',
    '2024-05-04T12:00:00Z two days ahead',
    '9999-12-31T23:59:59Z far future',
    'Foo 11 22:14:15 not a month',
    'Mar 32 10:00:00 day 32',
    '<999999> too long a priority',
    'GET /api/orders/1 200 3ms',
    '[ERROR] 2024-05-01T12:00:00Z not at the start',
    '10.0.0.1 - - [10/Oct/2000:13:55:36] no zone',
  ])('%j has none', (line) => {
    expect(leadingTimestamp(line, now)).toBeUndefined();
  });

  it('puts a syslog line without a year in the year before when this year would be more than a day ahead', () => {
    const january = Date.UTC(2025, 0, 1, 0, 30);
    expect(leadingTimestamp('Dec 31 23:59:00 host x', january)).toBe(local(2024, 11, 31, 23, 59, 0));
    expect(leadingTimestamp('Jan  1 00:10:00 host x', january)).toBe(local(2025, 0, 1, 0, 10, 0));
  });
});
