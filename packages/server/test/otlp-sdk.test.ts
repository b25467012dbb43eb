import type { LogEntry } from '@livelog/protocol';
import { startServer, type TestServer } from '@livelog/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OTLP_EMITTER, OTLP_EMITTER_NO_BIGINT, runEmitter } from './support/otlp-emitter.js';

/**
 * The official OpenTelemetry JS SDK (`@opentelemetry/sdk-logs` with the `otlp-http` JSON exporter
 * and the `otlp-proto` protobuf exporter), in a process of its own, logging to livelog as an
 * application would (fixtures/otlp-emitter.mjs).
 */

const INGEST = 'otlp-ingest-token';
const ADMIN = 'otlp-admin-token';
const COUNT = 10_000;
/** The emitter's first timestamp; record i is logged at BASE + i ms (recent: retention keeps 7 days). */
const BASE = Date.now() - 3_600_000;
const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

let server: TestServer;

beforeAll(async () => {
  server = await startServer({ tokens: [`${INGEST}:ingest`, `${ADMIN}:admin`] });
});
afterAll(async () => {
  await server.close();
});

async function emit(variant: 'http' | 'proto' | 'http-no-bigint', run: string): Promise<void> {
  const [emitter, protocol] = variant === 'http-no-bigint' ? [OTLP_EMITTER_NO_BIGINT, 'http'] : [OTLP_EMITTER, variant];
  const outcome = await runEmitter(emitter, [server.url, protocol, String(COUNT), run, String(BASE), INGEST]);
  // The SDK only logs failed exports; any output at all means one failed.
  if (outcome !== 'exit 0') throw new Error(`emitter ${outcome}`);
}

/** Every entry stored after `seq`, read page by page straight from the store. */
async function storedAfter(seq: number): Promise<LogEntry[]> {
  const entries: LogEntry[] = [];
  for (;;) {
    const rows = await server.store.readAfter((entries.at(-1)?.seq ?? seq) as number, 1000);
    if (rows.length === 0) return entries;
    for (const row of rows) entries.push(JSON.parse(row.json) as LogEntry);
  }
}

describe.each([
  ['http', 'application/json'],
  ['proto', 'application/x-protobuf'],
  // Times as JSON numbers past 2^53 were refused whole (400: "must be a decimal string").
  ['http-no-bigint', 'application/json, times as numbers'],
] as const)('the OpenTelemetry JS SDK with the otlp-%s exporter (%s)', (protocol, _contentType) => {
  it(`stores ${COUNT.toLocaleString('en-US')} records once, in order, mapped as documented`, async () => {
    const before = (await server.store.bounds()).last;
    const run = `run-${protocol}`;
    await emit(protocol, run);
    const entries = await storedAfter(before);
    expect(entries).toHaveLength(COUNT);
    for (let i = 0; i < COUNT; i++) {
      const entry = entries[i] as LogEntry;
      const fields = entry.fields as Record<string, unknown>;
      const where = `record ${i}`;
      expect(entry.seq, where).toBe(before + 1 + i);
      expect(fields.i, where).toBe(i);
      expect(fields.run, where).toBe(run);
      expect(entry.time, where).toBe(BASE + i);
      expect(entry.source, where).toBe('checkout');
      expect(entry.level, where).toBe(i === 1234 ? 'error' : LEVELS[i % 6]);
      expect(fields['user.id'], where).toBe(`u-${i % 7}`);
      expect(fields.ok, where).toBe(i % 2 === 0);
      expect(fields.ratio, where).toBe(i / 4);
      expect(fields.resource, where).toEqual({ 'service.version': '1.2.3', 'deployment.environment.name': 'test' });
      expect(fields.scope, where).toEqual({ name: 'emitter', version: '0.1.0' });
      expect(fields.severity_text, where).toBe(i % 6 === 3 && i !== 1234 ? 'WARNING' : undefined);
      if (i % 1000 === 999) {
        expect(entry.msg, where).toBe(`structured ${i}`);
        expect(fields.body, where).toEqual({ order: { id: i, items: [1, 2] } });
      } else {
        expect(entry.msg, where).toBe(`record ${i} of ${run}`);
        expect(fields.body, where).toBeUndefined();
      }
      if (i % 100 === 0) {
        expect(fields.trace_id, where).toBe('5b8efff798038103d269b633813fc60c');
        expect(fields.span_id, where).toBe('eee19b7ec3c1b174');
        expect(fields.trace_flags, where).toBe(1);
      } else {
        expect(fields.trace_id, where).toBeUndefined();
      }
    }
    const exception = (entries[1234] as LogEntry).fields as Record<string, unknown>;
    expect(exception['exception.type']).toBe('TypeError');
    expect(exception['exception.message']).toBe('cannot read order 1234');
    expect(exception['exception.stacktrace']).toMatch(/^TypeError: cannot read order 1234\n\s+at /);
    // Nothing after the run: no record stored twice.
    expect((await server.store.bounds()).last).toBe(before + COUNT);
  });
});

describe('the OTLP input metrics', () => {
  it('count the accepted lines of the otlp input', async () => {
    const response = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN}` } });
    const text = await response.text();
    const accepted = /^livelog_input_lines_total\{input="otlp",outcome="accepted"\} (\d+)$/m.exec(text)?.[1];
    expect(Number(accepted)).toBe(3 * COUNT);
  });
});
