import { LivelogError } from '@livelog/core';
import { parseLabelSet } from './parse-label-set.js';

/** One Loki stream of a push, the same whichever encoding carried it. */
export interface LokiStream {
  labels: Record<string, string>;
  entries: LokiEntry[];
}

export interface LokiEntry {
  /** Epoch ms (nanoseconds cut to ms); may lie outside the range livelog stores. */
  time: number;
  line: string;
  /** Structured metadata, when the entry has any. */
  metadata: Record<string, string> | undefined;
}

interface LongLike {
  toNumber(): number;
}

/**
 * The streams of a decoded push. Protobuf: `PushRequest.streams[]` with `labels` text and
 * `entries[] {timestamp, line, structuredMetadata[]}`. JSON:
 * `{"streams":[{"stream":{...labels},"values":[["<ns>","<line>",{...metadata}?], ...]}]}`.
 * Throws LIVELOG_ERR_LOKI_MALFORMED naming the first value of the wrong shape.
 */
export function readLokiStreams(push: unknown, encoding: 'protobuf' | 'json'): LokiStream[] {
  return encoding === 'protobuf' ? fromProtobuf(push as ProtoPush) : fromJson(push);
}

interface ProtoPush {
  streams: {
    labels: string;
    entries: {
      timestamp: { seconds: number | LongLike; nanos: number } | null;
      line: string;
      structuredMetadata: { name: string; value: string }[];
    }[];
  }[];
}

function fromProtobuf(push: ProtoPush): LokiStream[] {
  return push.streams.map((stream) => ({
    labels: parseLabelSet(stream.labels),
    entries: stream.entries.map((entry) => {
      const seconds =
        entry.timestamp === null
          ? 0
          : typeof entry.timestamp.seconds === 'number'
            ? entry.timestamp.seconds
            : entry.timestamp.seconds.toNumber();
      const nanos = entry.timestamp?.nanos ?? 0;
      const metadata =
        entry.structuredMetadata.length === 0
          ? undefined
          : Object.fromEntries(entry.structuredMetadata.map((pair) => [pair.name, pair.value]));
      return { time: seconds * 1000 + Math.floor(nanos / 1e6), line: entry.line, metadata };
    }),
  }));
}

function fromJson(push: unknown): LokiStream[] {
  const root = object(push, 'the body');
  const streams = array(root.streams, 'streams');
  return streams.map((item, s) => {
    const stream = object(item, `streams[${s}]`);
    const labels = stringMap(stream.stream ?? {}, `streams[${s}].stream`);
    const values = array(stream.values, `streams[${s}].values`);
    return {
      labels,
      entries: values.map((value, v) => {
        const path = `streams[${s}].values[${v}]`;
        const tuple = array(value, path);
        if (tuple.length < 2 || tuple.length > 3)
          throw malformed(path, 'must be ["<unix ns>", "<line>"] or ["<unix ns>", "<line>", {metadata}]');
        const line = tuple[1];
        if (typeof line !== 'string') throw malformed(`${path}[1]`, 'the line must be a string');
        return {
          time: nanosToMs(tuple[0], `${path}[0]`),
          line,
          metadata: tuple[2] === undefined ? undefined : stringMap(tuple[2], `${path}[2]`),
        };
      }),
    };
  });
}

/**
 * Loki JSON sends nanoseconds as a decimal string; a whole number is taken too. Digits beyond what
 * int64 holds are read as well, so that a time past the year 9999 is refused as a bad time.
 */
function nanosToMs(value: unknown, path: string): number {
  if (typeof value === 'string' && /^\d{1,30}$/.test(value)) return Number(BigInt(value) / 1_000_000n);
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return Math.floor(value / 1e6);
  throw malformed(path, `the timestamp must be Unix nanoseconds as a decimal string, got ${JSON.stringify(value)?.slice(0, 40)}`);
}

function object(value: unknown, path: string): Record<string, unknown> {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  throw malformed(path, 'must be an object');
}

function array(value: unknown, path: string): unknown[] {
  if (Array.isArray(value)) return value;
  throw malformed(path, 'must be an array');
}

function stringMap(value: unknown, path: string): Record<string, string> {
  const map = object(value, path);
  for (const [key, item] of Object.entries(map)) {
    if (typeof item !== 'string') throw malformed(`${path}.${key}`, 'must be a string');
  }
  return map as Record<string, string>;
}

function malformed(path: string, problem: string): LivelogError {
  return new LivelogError('LIVELOG_ERR_LOKI_MALFORMED', `${path}: ${problem}`);
}
