import { DEFAULT_INGEST_LIMITS, type NewEntry } from '@livelog/core';
import otlpRoot from '@opentelemetry/otlp-transformer/build/src/generated/root.js';
import { describe, expect, it } from 'vitest';
import { mapOtlpLogs, type OtlpMapOptions } from './map-otlp-logs.js';
import { decodeOtlpLogs } from './otlp-codec.js';

const NOW = 1_767_000_000_000;
const OPTIONS: OtlpMapOptions = { now: NOW, limits: { ...DEFAULT_INGEST_LIMITS, maxMessageBytes: 64, maxLineBytes: 1024 } };
const encoder = (
  otlpRoot as unknown as {
    opentelemetry: {
      proto: { collector: { logs: { v1: { ExportLogsServiceRequest: { encode(m: object): { finish(): Uint8Array } } } } } };
    };
  }
).opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;

const str = (value: string) => ({ stringValue: value });

/** One request in both encodings: OTLP JSON as a sender writes it, and the protobuf of the same. */
function both(records: { json: object; proto: object }[], resource: object[] = [{ key: 'service.name', value: str('api') }]) {
  const wrap = (items: object[]) => ({
    resourceLogs: [{ resource: { attributes: resource }, scopeLogs: [{ scope: { name: 'lib', version: '2' }, logRecords: items }] }],
  });
  const json = decodeOtlpLogs(Buffer.from(JSON.stringify(wrap(records.map((r) => r.json)))), 'json');
  const proto = decodeOtlpLogs(Buffer.from(encoder.encode(wrap(records.map((r) => r.proto))).finish()), 'protobuf');
  return [json, proto] as const;
}

function entriesOf(request: unknown, options: Partial<OtlpMapOptions> = {}): NewEntry[] {
  return mapOtlpLogs(request, { ...OPTIONS, ...options }).groups.flatMap((group) => group.entries);
}

describe('mapOtlpLogs', () => {
  it('maps protobuf and OTLP JSON of the same records to the same entries', () => {
    const traceId = '5b8efff798038103d269b633813fc60c';
    const spanId = 'eee19b7ec3c1b174';
    const [json, proto] = both([
      {
        json: {
          timeUnixNano: '1767000000123456789',
          severityNumber: 17,
          severityText: 'ERROR',
          body: str('boom'),
          traceId,
          spanId,
          flags: 1,
          attributes: [
            { key: 'n', value: { intValue: '9007199254740993' } },
            { key: 'b', value: { bytesValue: 'AQID' } },
          ],
        },
        proto: {
          timeUnixNano: 1_767_000_000_123_456_789n.toString(),
          severityNumber: 17,
          severityText: 'ERROR',
          body: str('boom'),
          traceId: Buffer.from(traceId, 'hex'),
          spanId: Buffer.from(spanId, 'hex'),
          flags: 1,
          attributes: [
            { key: 'n', value: { intValue: '9007199254740993' } },
            { key: 'b', value: { bytesValue: Uint8Array.from([1, 2, 3]) } },
          ],
        },
      },
      {
        json: { observedTimeUnixNano: '1767000000999000000', severityText: 'Warning', body: { doubleValue: 1.5 } },
        proto: { observedTimeUnixNano: '1767000000999000000', severityText: 'Warning', body: { doubleValue: 1.5 } },
      },
      {
        json: { body: { boolValue: true }, eventName: 'login', droppedAttributesCount: 2 },
        proto: { body: { boolValue: true }, eventName: 'login', droppedAttributesCount: 2 },
      },
    ]);
    const expected: NewEntry[] = [
      {
        time: 1_767_000_000_123,
        level: 'error',
        source: 'api',
        msg: 'boom',
        fields: {
          n: '9007199254740993',
          b: 'AQID',
          trace_id: traceId,
          span_id: spanId,
          trace_flags: 1,
          scope: { name: 'lib', version: '2' },
        },
      },
      {
        time: 1_767_000_000_999,
        level: 'warn',
        source: 'api',
        msg: '1.5',
        fields: { severity_text: 'Warning', scope: { name: 'lib', version: '2' } },
      },
      {
        time: NOW,
        level: 'info',
        source: 'api',
        msg: 'true',
        fields: { event_name: 'login', dropped_attributes_count: 2, scope: { name: 'lib', version: '2' } },
      },
    ];
    expect(entriesOf(json.request)).toEqual(expected);
    expect(entriesOf(proto.request, { replaced: proto.replaced })).toEqual(expected);
  });

  it.each([
    [1, 'trace'],
    [4, 'trace'],
    [5, 'debug'],
    [9, 'info'],
    [12, 'info'],
    [13, 'warn'],
    [20, 'error'],
    [21, 'fatal'],
    [24, 'fatal'],
    ['SEVERITY_NUMBER_WARN2', 'warn'],
  ])('severityNumber %j is %s', (severityNumber, level) => {
    expect(entriesOf({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ severityNumber }] }] }] })[0]?.level).toBe(level);
  });

  it('reads severityText when severityNumber is unset or unknown, else info', () => {
    const levels = entriesOf({
      resourceLogs: [
        {
          scopeLogs: [
            { logRecords: [{ severityText: 'CRITICAL' }, { severityNumber: 99, severityText: 'debug' }, { severityText: 'chatty' }, {}] },
          ],
        },
      ],
    }).map((entry) => entry.level);
    expect(levels).toEqual(['fatal', 'debug', 'info', 'info']);
  });

  it('takes msg or message from a key-value body and keeps the rest in fields.body', () => {
    const kv = (values: [string, object][]) => ({ kvlistValue: { values: values.map(([key, value]) => ({ key, value })) } });
    const entries = entriesOf({
      resourceLogs: [
        {
          scopeLogs: [
            {
              logRecords: [
                {
                  body: kv([
                    ['msg', str('hi')],
                    ['user', { intValue: 7 }],
                  ]),
                },
                { body: kv([['message', str('only')]]) },
                { body: kv([['a', { arrayValue: { values: [str('x'), { intValue: '2' }] } }]]) },
                { body: { arrayValue: { values: [str('x')] } } },
              ],
            },
          ],
        },
      ],
    });
    expect(entries.map(({ msg, fields }) => ({ msg, fields }))).toEqual([
      { msg: 'hi', fields: { body: { user: 7 } } },
      { msg: 'only', fields: undefined },
      { msg: '{"a":["x",2]}', fields: undefined },
      { msg: '["x"]', fields: undefined },
    ]);
  });

  it('takes source from the configured attribute, record before resource, else the fallback', () => {
    const request = {
      resourceLogs: [
        {
          resource: {
            attributes: [
              { key: 'team', value: str('payments') },
              { key: 'service.name', value: str('svc') },
            ],
          },
          scopeLogs: [{ logRecords: [{}, { attributes: [{ key: 'team', value: str('own') }] }] }],
        },
        { scopeLogs: [{ logRecords: [{}] }] },
      ],
    };
    const entries = entriesOf(request, { sourceAttribute: 'team' });
    expect(entries.map((entry) => entry.source)).toEqual(['payments', 'own', 'otlp']);
    expect(entries[0]?.fields).toEqual({ resource: { 'service.name': 'svc' } });
    expect(entries[1]?.fields).toEqual({ resource: { 'service.name': 'svc' } });
  });

  it('splits long bodies into parts, like native ingest', () => {
    const entries = entriesOf({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: str('x'.repeat(150)) }] }] }] });
    expect(entries.map((entry) => [entry.msg.length, entry.part])).toEqual([
      [64, { index: 1, count: 3 }],
      [64, { index: 2, count: 3 }],
      [22, { index: 3, count: 3 }],
    ]);
  });

  it('carries the stream it is given on every group', () => {
    const result = mapOtlpLogs({ resourceLogs: [{ scopeLogs: [{ logRecords: [{}, {}] }] }] }, { ...OPTIONS, stream: 'payments' });
    expect(result.groups.map((group) => [group.stream, group.entries.length])).toEqual([['payments', 2]]);
  });

  it('marks the entries whose protobuf strings held invalid UTF-8, and only those', () => {
    const [, proto] = both([
      { json: {}, proto: { body: str('caf\u00e9') } },
      { json: {}, proto: { body: str('ok \uFFFD sent as is') } },
    ]);
    expect(proto.replaced).toBeUndefined();
    const bytes = Buffer.from(
      encoder
        .encode({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: str('caf\u00e9') }, { body: str('ok \uFFFD sent as is') }] }] }] })
        .finish(),
    );
    bytes.set([0xff, 0xfe], bytes.indexOf(Buffer.from('\u00e9')));
    const decoded = decodeOtlpLogs(bytes, 'protobuf');
    const entries = entriesOf(decoded.request, { replaced: decoded.replaced });
    expect(entries.map((entry) => [entry.msg, entry.invalidUtf8])).toEqual([
      ['caf\uFFFD\uFFFD', true],
      ['ok \uFFFD sent as is', undefined],
    ]);
  });

  it('answers an empty request with nothing to store', () => {
    expect(mapOtlpLogs({}, OPTIONS)).toEqual({ groups: [], records: 0, rejected: 0, errorMessage: '' });
  });
});
