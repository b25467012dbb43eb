import type { LevelName } from '@livelog/protocol';
import { LokiPushRequest } from '@livelog/server';
import otlpRoot from '@opentelemetry/otlp-transformer/build/src/generated/root.js';
import { compress } from 'snappyjs';
import { record } from './entries.js';

/**
 * The scenario's access-log records as the other inputs receive them: an OTLP
 * `ExportLogsServiceRequest` (protobuf or OTLP JSON) and a Loki push (snappy protobuf), encoded
 * with the same generated OTLP classes and logproto schema the server decodes with.
 */

const SEVERITY: Record<LevelName, number> = { trace: 1, debug: 5, info: 9, warn: 13, error: 17, fatal: 21 };

interface Encoder {
  encode(message: object): { finish(): Uint8Array };
}
const ExportLogsServiceRequest = (
  otlpRoot as unknown as { opentelemetry: { proto: { collector: { logs: { v1: { ExportLogsServiceRequest: Encoder } } } } } }
).opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;

/**
 * `count` records from `first` as one OTLP request. `service.name` is a record attribute so that
 * each record keeps its own source, and the stored entries equal those of native ingest.
 */
export function otlpBody(first: number, count: number, time: number, encoding: 'protobuf' | 'json'): Buffer {
  const logRecords = [];
  for (let i = first; i < first + count; i++) {
    const r = record(i);
    logRecords.push({
      timeUnixNano: `${time}000000`,
      severityNumber: SEVERITY[r.level],
      body: { stringValue: r.msg },
      attributes: [
        { key: 'service.name', value: { stringValue: r.source } },
        { key: 'req', value: { stringValue: r.req } },
        { key: 'user', value: { intValue: String(r.user) } },
        { key: 'bytes', value: { intValue: String(r.bytes) } },
      ],
    });
  }
  const request = { resourceLogs: [{ scopeLogs: [{ logRecords }] }] };
  return encoding === 'json' ? Buffer.from(JSON.stringify(request)) : Buffer.from(ExportLogsServiceRequest.encode(request).finish());
}

/**
 * `count` records from `first` as one Loki push, one stream per source and level (as Promtail and
 * Alloy batch them), the other keys as structured metadata.
 */
export function lokiBody(first: number, count: number, time: number): Buffer {
  const streams = new Map<string, { labels: string; entries: object[] }>();
  for (let i = first; i < first + count; i++) {
    const r = record(i);
    const labels = `{service_name="${r.source}", level="${r.level}"}`;
    let stream = streams.get(labels);
    if (stream === undefined) {
      stream = { labels, entries: [] };
      streams.set(labels, stream);
    }
    stream.entries.push({
      timestamp: { seconds: Math.floor(time / 1000), nanos: (time % 1000) * 1e6 },
      line: r.msg,
      structuredMetadata: [
        { name: 'req', value: r.req },
        { name: 'user', value: String(r.user) },
        { name: 'bytes', value: String(r.bytes) },
      ],
    });
  }
  const message = LokiPushRequest.create({ streams: [...streams.values()] });
  return Buffer.from(compress(LokiPushRequest.encode(message).finish()));
}
