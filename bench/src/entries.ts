import type { NewEntry } from '@livelog/core';
import type { LevelName } from '@livelog/protocol';

/**
 * The log records every scenario sends, shaped like an access log of a busy service (~170 bytes as
 * stored). The ceiling server's pre-encoded frames are byte-for-byte what livelog stores for the same
 * records, so both servers move the same bytes.
 */

/** Stream id of the ceiling server's frames: as long as livelog's, so frames are the same size. */
export const CEILING_STREAM = 'ceilingsid';

const PATHS = ['/api/orders', '/api/items', '/api/users', '/api/cart', '/healthz', '/api/search'];
const STATUS = [200, 200, 200, 200, 201, 204, 304, 404, 500];

export interface Record {
  level: LevelName;
  source: string;
  msg: string;
  req: string;
  user: number;
  bytes: number;
}

/** Record `i` of the access log every scenario sends. */
export function record(i: number): Record {
  const status = STATUS[i % STATUS.length] as number;
  return {
    level: status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info',
    source: `api-${i % 8}`,
    msg: `GET ${PATHS[i % PATHS.length]}/${(i * 7919) % 100_000} ${status} ${((i * 31) % 997) / 10}ms`,
    req: `r-${(i * 2_654_435_761) % 4_294_967_296}`,
    user: (i * 104_729) % 50_000,
    bytes: (i * 1_299_709) % 65_536,
  };
}

/** One NDJSON line as a producer sends it. `extra` adds keys (they land in `fields`). */
export function ndjsonLine(i: number, time: number, extra = ''): string {
  const r = record(i);
  return `{"time":${time},"level":"${r.level}","source":"${r.source}","msg":"${r.msg}","req":"${r.req}","user":${r.user},"bytes":${r.bytes}${extra}}`;
}

/** A body of `count` NDJSON lines starting at record `first`. */
export function ndjsonBody(first: number, count: number, time: number): Buffer {
  let text = '';
  for (let i = 0; i < count; i++) text += `${ndjsonLine(first + i, time)}\n`;
  return Buffer.from(text, 'utf8');
}

/** Record `i` as ingest would hand it to a store (for preloading without HTTP). */
export function newEntry(i: number, time: number): NewEntry {
  const r = record(i);
  return { time, level: r.level, source: r.source, msg: r.msg, fields: { req: r.req, user: r.user, bytes: r.bytes } };
}

/** The JSON livelog stores for record `i` at `seq` (key order as in `toLogEntry`). */
export function storedJson(stream: string, seq: number, i: number, time: number): string {
  const r = record(i);
  return `{"id":"${stream}:${seq}","seq":${seq},"time":${time},"level":"${r.level}","source":"${r.source}","msg":"${r.msg}","fields":{"req":"${r.req}","user":${r.user},"bytes":${r.bytes}}}`;
}

/** Microseconds on CLOCK_MONOTONIC, which every process on the machine shares. */
export function nowUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}
