import { DEFAULT_INGEST_LIMITS } from '@livelog/core';
import { compress } from 'snappyjs';
import { describe, expect, it } from 'vitest';
import { decodeLokiPush, PushRequest } from './loki-codec.js';
import { readLokiStreams } from './loki-streams.js';
import { type LokiMapOptions, mapLokiPush } from './map-loki-push.js';

const LIMITS = { ...DEFAULT_INGEST_LIMITS, maxMessageBytes: 64, maxLineBytes: 1024 };
const OPTIONS: LokiMapOptions = { limits: LIMITS };
const T = 1_767_000_000_123;

function protobufPush(streams: { labels: string; entries: { ms: number; line: string; metadata?: Record<string, string> }[] }[]): Buffer {
  const message = PushRequest.create({
    streams: streams.map((stream) => ({
      labels: stream.labels,
      entries: stream.entries.map((entry) => ({
        timestamp: { seconds: Math.floor(entry.ms / 1000), nanos: (entry.ms % 1000) * 1e6 + 456 },
        line: entry.line,
        structuredMetadata: Object.entries(entry.metadata ?? {}).map(([name, value]) => ({ name, value })),
      })),
    })),
  });
  return Buffer.from(compress(PushRequest.encode(message).finish()));
}

function map(body: Buffer, encoding: 'protobuf' | 'json', options: Partial<LokiMapOptions> = {}) {
  const decoded = decodeLokiPush(body, encoding, 1024 * 1024);
  return mapLokiPush(readLokiStreams(decoded.push, encoding), { ...OPTIONS, replaced: decoded.replaced, ...options });
}

describe('mapLokiPush', () => {
  it('maps protobuf (with structured metadata) and JSON of the same push to the same entries', () => {
    const proto = protobufPush([
      {
        labels: '{app="web", env="prod", level="warn"}',
        entries: [
          { ms: T, line: 'disk at 91%', metadata: { trace_id: 'abc' } },
          { ms: T + 1, line: 'plain' },
        ],
      },
      { labels: '{job="cron"}', entries: [{ ms: T + 2, line: 'ERROR: failed', metadata: { detected_level: 'debug' } }] },
    ]);
    const json = Buffer.from(
      JSON.stringify({
        streams: [
          {
            stream: { app: 'web', env: 'prod', level: 'warn' },
            values: [
              [`${T}000456`, 'disk at 91%', { trace_id: 'abc' }],
              [`${T + 1}000456`, 'plain'],
            ],
          },
          { stream: { job: 'cron' }, values: [[`${T + 2}000456`, 'ERROR: failed', { detected_level: 'debug' }]] },
        ],
      }),
    );
    const expected = [
      {
        stream: undefined,
        entries: [
          { time: T, level: 'warn', source: 'web', msg: 'disk at 91%', fields: { env: 'prod', trace_id: 'abc' } },
          { time: T + 1, level: 'warn', source: 'web', msg: 'plain', fields: { env: 'prod' } },
          { time: T + 2, level: 'debug', source: 'cron', msg: 'ERROR: failed' },
        ],
      },
    ];
    for (const result of [map(proto, 'protobuf'), map(json, 'json')]) {
      expect(result.lines).toBe(3);
      expect(result.groups.map((group) => ({ stream: group.stream, entries: group.entries }))).toEqual(expected);
    }
  });

  it('reads the level from the line when no label or metadata names one', () => {
    const result = map(
      Buffer.from(
        JSON.stringify({
          streams: [
            {
              stream: {},
              values: [
                [`${T}000000`, '[ERROR] x'],
                [`${T}000000`, 'level=warn y'],
                [`${T}000000`, 'z'],
              ],
            },
          ],
        }),
      ),
      'json',
    );
    expect(result.groups[0]?.entries.map((entry) => [entry.level, entry.source])).toEqual([
      ['error', 'loki'],
      ['warn', 'loki'],
      ['info', 'loki'],
    ]);
  });

  it('takes the first configured source label present', () => {
    const push = Buffer.from(JSON.stringify({ streams: [{ stream: { job: 'j', container: 'c' }, values: [[`${T}000000`, 'x']] }] }));
    expect(map(push, 'json').groups[0]?.entries[0]?.source).toBe('c');
    expect(map(push, 'json', { sourceLabels: ['job'] }).groups[0]?.entries[0]).toMatchObject({ source: 'j', fields: { container: 'c' } });
  });

  it('groups entries by the stream label, sanitised, keeping order within each stream', () => {
    const push = protobufPush([
      { labels: '{job="Payments API"}', entries: [{ ms: T, line: 'p1' }] },
      { labels: '{job="???"}', entries: [{ ms: T, line: 'd1' }] },
      { labels: '{job="payments api"}', entries: [{ ms: T, line: 'p2' }] },
      { labels: '{app="x"}', entries: [{ ms: T, line: 'd2' }] },
    ]);
    const groups = map(push, 'protobuf', { streamLabel: 'job' }).groups;
    expect(groups.map((group) => [group.stream, group.entries.map((entry) => entry.msg)])).toEqual([
      ['payments-api', ['p1', 'p2']],
      [undefined, ['d1', 'd2']],
    ]);
  });

  it('refuses a protobuf time before 1970 as a bad time, naming the line', () => {
    const push = protobufPush([
      {
        labels: '{app="x"}',
        entries: [
          { ms: T, line: 'ok' },
          { ms: -5000, line: 'bad' },
        ],
      },
    ]);
    expect(() => map(push, 'protobuf')).toThrow(expect.objectContaining({ code: 'LIVELOG_ERR_INGEST_BAD_TIME', line: 2 }));
  });

  it('splits long lines into parts, like native ingest', () => {
    const result = map(Buffer.from(JSON.stringify({ streams: [{ stream: {}, values: [[`${T}000000`, 'y'.repeat(100)]] }] })), 'json');
    expect(result.groups[0]?.entries.map((entry) => entry.part)).toEqual([
      { index: 1, count: 2 },
      { index: 2, count: 2 },
    ]);
  });

  it('marks entries whose protobuf line held invalid UTF-8', () => {
    const plain = Buffer.from(
      PushRequest.encode(
        PushRequest.create({
          streams: [
            {
              labels: '{app="x"}',
              entries: [
                { timestamp: { seconds: 1, nanos: 0 }, line: 'caf\u00e9' },
                { timestamp: { seconds: 1, nanos: 0 }, line: 'fine' },
              ],
            },
          ],
        }),
      ).finish(),
    );
    plain.set([0xff, 0xfe], plain.indexOf(Buffer.from('\u00e9')));
    const result = map(Buffer.from(compress(plain)), 'protobuf');
    expect(result.groups[0]?.entries.map((entry) => [entry.msg, entry.invalidUtf8])).toEqual([
      ['caf\uFFFD\uFFFD', true],
      ['fine', undefined],
    ]);
  });
});
