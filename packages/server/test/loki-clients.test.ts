import { Agent } from 'node:http';
import { hostname } from 'node:os';
import type { LogEntry } from '@livelog/protocol';
import { startServer, type TestServer } from '@livelog/test-utils';
import pino from 'pino';
import { pinoLoki } from 'pino-loki';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import winston from 'winston';
import LokiTransport from 'winston-loki';

/**
 * Loki logging libraries nobody on this project wrote, shipping to livelog's push API:
 * `winston-loki` (snappy-compressed protobuf by default, JSON with `json: true`) and `pino-loki`
 * (JSON with structured metadata).
 */

const INGEST = 'loki-ingest-token';
const ADMIN = 'loki-admin-token';
const COUNT = 10_000;

let server: TestServer;

beforeAll(async () => {
  server = await startServer({ tokens: [`${INGEST}:ingest`, `${ADMIN}:admin`] });
});
afterAll(async () => {
  await server.close();
});

/** Every entry stored after `seq`, read page by page straight from the store. */
async function storedAfter(seq: number): Promise<LogEntry[]> {
  const entries: LogEntry[] = [];
  for (;;) {
    const rows = await server.store.readAfter(entries.at(-1)?.seq ?? seq, 1000);
    if (rows.length === 0) return entries;
    for (const row of rows) entries.push(JSON.parse(row.json) as LogEntry);
  }
}

/** The index a stored line carries as its message prefix `<client> <i>`. */
function indexOf(entry: LogEntry, prefix: string): number {
  const match = new RegExp(`^${prefix} (\\d+)(?: |$)`).exec(entry.msg);
  if (match === null) throw new Error(`unexpected line ${JSON.stringify(entry.msg)}`);
  return Number(match[1]);
}

/**
 * Checks that every index 0..COUNT-1 was stored exactly once, and in order within each level: the
 * clients batch lines into one Loki stream per label set (and the level is a label), so order is
 * kept per stream, which is what Loki itself promises.
 */
function expectOncePerStreamInOrder(entries: readonly LogEntry[], prefix: string): void {
  expect(entries).toHaveLength(COUNT);
  const seen = new Set<number>();
  const lastByLevel = new Map<string, number>();
  for (const entry of entries) {
    const i = indexOf(entry, prefix);
    expect(seen.has(i), `line ${i} stored twice`).toBe(false);
    seen.add(i);
    expect(i, `line ${i} after ${lastByLevel.get(entry.level)} at level ${entry.level}`).toBeGreaterThan(
      lastByLevel.get(entry.level) ?? -1,
    );
    lastByLevel.set(entry.level, i);
  }
  expect(seen.size).toBe(COUNT);
}

describe.each([
  ['protobuf + snappy', false],
  ['JSON', true],
] as const)('winston-loki (%s)', (_name, json) => {
  it(`ships ${COUNT.toLocaleString('en-US')} lines, each stored once with its labels${json ? ' and structured metadata' : ''}`, async () => {
    const before = (await server.store.bounds()).last;
    const errors: unknown[] = [];
    // Node's global agent times sockets out after 5 s, and winston-loki then gives the push up and sends
    // it again: a push livelog stored but answered late (a 10,000-line batch at load 30) was stored
    // twice ('expected 50000 to be 30000' below). An agent without that timeout waits for the answer.
    const agent = new Agent({ keepAlive: true });
    const transport = new LokiTransport({
      httpAgent: agent,
      host: server.url,
      json,
      labels: { app: 'shop', job: 'winston', env: 'test' },
      headers: { authorization: `Bearer ${INGEST}` },
      interval: 0.05,
      gracefulShutdown: false,
      onConnectionError: (error: unknown) => errors.push(error),
    });
    const logger = winston.createLogger({ level: 'debug', transports: [transport] });
    for (let i = 0; i < COUNT; i++) {
      const level = i % 10 === 9 ? 'warn' : i % 10 === 8 ? 'error' : 'info';
      logger.log({ level, message: `winston ${i}`, order: `o-${i}` });
    }
    await transport.flush();
    await transport.close();
    agent.destroy();
    expect(errors).toEqual([]);
    const entries = await storedAfter(before);
    expectOncePerStreamInOrder(entries, 'winston');
    for (const entry of entries) {
      const i = indexOf(entry, 'winston');
      expect(entry.source).toBe('shop');
      expect(entry.level).toBe(i % 10 === 9 ? 'warn' : i % 10 === 8 ? 'error' : 'info');
      // winston-loki appends the metadata to the line as JSON, and in JSON mode also sends it as
      // structured metadata; its `level` key is read as the level, not kept as a field.
      expect(entry.msg).toBe(`winston ${i} {"level":"${entry.level}","order":"o-${i}"}`);
      // Without structured metadata in protobuf mode: this also proves winston-loki did not fall back
      // to JSON (it does silently when the snappy module cannot load).
      expect(entry.fields).toEqual(json ? { job: 'winston', env: 'test', order: `o-${i}` } : { job: 'winston', env: 'test' });
    }
  });
});

describe('pino-loki (JSON)', () => {
  it(`ships ${COUNT.toLocaleString('en-US')} lines, each stored once, in order, with structured metadata`, async () => {
    const before = (await server.store.bounds()).last;
    const stream = await pinoLoki({
      host: server.url,
      labels: { service_name: 'billing' },
      headers: { authorization: `Bearer ${INGEST}` },
      // One push when the stream ends: pushes on a timer are not awaited, so they could overlap.
      batching: { interval: 3600, maxBufferSize: 0 },
    });
    const logger = pino({ level: 'trace' }, stream);
    for (let i = 0; i < COUNT; i++) {
      const method = i % 5 === 4 ? 'error' : i % 5 === 3 ? 'warn' : 'info';
      logger[method]({ meta: { request: `r-${i}`, attempt: i % 3 } }, `pino ${i}`);
    }
    const closed = new Promise((resolve) => stream.on('close', resolve));
    stream.end();
    await closed;
    const entries = await storedAfter(before);
    expect(entries).toHaveLength(COUNT);
    for (let k = 0; k < COUNT; k++) {
      const entry = entries[k] as LogEntry;
      // pino-loki sends the whole pino record as the line.
      const record = JSON.parse(entry.msg) as { msg: string; level: number };
      expect(record.msg).toBe(`pino ${k}`);
      expect(entry.seq).toBe(before + 1 + k);
      expect(entry.source).toBe('billing');
      expect(entry.level).toBe(k % 5 === 4 ? 'error' : k % 5 === 3 ? 'warn' : 'info');
      // pino-loki labels every line with the host name; the level label is read as the level.
      expect(entry.fields).toEqual({ hostname: hostname(), request: `r-${k}`, attempt: String(k % 3) });
    }
  });
});

describe('the Loki input metrics', () => {
  it('count the accepted lines of the loki input', async () => {
    const response = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN}` } });
    const accepted = /^livelog_input_lines_total\{input="loki",outcome="accepted"\} (\d+)$/m.exec(await response.text())?.[1];
    expect(Number(accepted)).toBe(3 * COUNT);
  });
});
