import { connect, type Socket } from 'node:net';
import type { LogEntry } from '@livelog/protocol';
import { startServer, type TestServer, waitFor } from '@livelog/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OTLP_EMITTER, runEmitter } from './support/otlp-emitter.js';

/**
 * The OpenTelemetry JS SDK's exporters against a busy livelog: while `--ingest-buffer` is held
 * whole by another request, each export is answered 503 with `Retry-After`, which the exporters
 * retry (they give up on other 4xx). Once the buffer is free again every record is stored, once,
 * in order, and the SDK reports no failed export. The buffer is held by a request that declared
 * its whole `Content-Length` and sends nothing: livelog charges the declared length at once.
 */
const COUNT = 1_000;
const BASE = Date.now() - 3_600_000;
const LIMIT = 256 * 1024;

let server: TestServer;
beforeAll(async () => {
  server = await startServer({ bodyLimit: LIMIT, ingestBuffer: LIMIT });
});
afterAll(async () => {
  await server.close();
});

async function busyRefusals(): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return Number(/^livelog_requests_rejected_total\{code="LIVELOG_ERR_INGEST_BUSY"\} (\d+)$/m.exec(text)?.[1] ?? 0);
}

/** A native ingest request that declares LIMIT bytes and sends none: the whole buffer is held until it ends. */
async function holdBuffer(): Promise<Socket> {
  const { port } = new URL(server.url);
  const socket = connect(Number(port), '127.0.0.1');
  await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.write(`POST /api/logs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-ndjson\r\nContent-Length: ${LIMIT}\r\n\r\n`);
  return socket;
}

function emit(protocol: 'http' | 'proto', run: string): { done: Promise<string> } {
  return { done: runEmitter(OTLP_EMITTER, [server.url, protocol, String(COUNT), run, String(BASE)]) };
}

describe.each(['http', 'proto'] as const)('the otlp-%s exporter while the ingest buffer is full', (protocol) => {
  it(`retries the 503s and stores ${COUNT.toLocaleString('en-US')} records once, in order`, async () => {
    const before = (await server.store.bounds()).last;
    const refused = await busyRefusals();
    const holder = await holdBuffer();
    const run = `retry-${protocol}`;
    const emitter = emit(protocol, run);
    // The exporter has been answered 503 at least once before the buffer is freed.
    await waitFor(async () => (await busyRefusals()) > refused, { timeoutMs: 20_000 });
    holder.destroy();
    // The SDK only logs failed exports: any output means one was given up.
    expect(await emitter.done).toBe('exit 0');
    const rows = await server.store.readAfter(before, COUNT + 10);
    const entries = rows.map((row) => JSON.parse(row.json) as LogEntry);
    expect(entries.map((entry) => (entry.fields as Record<string, unknown>).i)).toEqual(Array.from({ length: COUNT }, (_, i) => i));
    expect(entries.every((entry) => (entry.fields as Record<string, unknown>).run === run)).toBe(true);
  }, 30_000);
});
