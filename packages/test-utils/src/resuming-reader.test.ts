import { createServer, type IncomingMessage } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { ChaosProxy } from './chaos-proxy.js';
import { ResumingReader } from './resuming-reader.js';
import { waitFor } from './wait-for.js';

const TOTAL = 60;
const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** The seq a reconnecting reader resumes after (0 for a first connection). */
function resumeSeq(request: IncomingMessage): number {
  const header = request.headers['last-event-id'];
  return typeof header === 'string' && header !== '' ? Number(header.split(':')[1]) : 0;
}

/**
 * A scripted SSE server over real sockets: each connection sends the seqs `plan(after)` asks for,
 * then ends, so the reader reconnects with its Last-Event-ID. An honest plan sends the next few
 * seqs; a faulty one plants exactly one fault the checker must see.
 */
async function scriptedServer(plan: (after: number) => number[], paceMs?: number): Promise<string> {
  const server = createServer((request, response) => {
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    const frames = [`event: hello\ndata: {"stream":"s","first":1,"last":${TOTAL},"heartbeatMs":15000}\n\n`];
    for (const seq of plan(resumeSeq(request))) {
      frames.push(
        `id: s:${seq}\ndata: ${JSON.stringify({ id: `s:${seq}`, seq, time: 0, level: 'info', source: 't', msg: `line ${seq}` })}\n\n`,
      );
    }
    if (paceMs === undefined) {
      response.end(frames.join(''));
      return;
    }
    // One write per event, spaced out: a cut set up after connecting lands while events flow. The
    // response then stays open, so the only reconnects are the ones the test causes.
    const timer = setInterval(() => {
      const frame = frames.shift();
      if (frame === undefined || response.destroyed) clearInterval(timer);
      else response.write(frame);
    }, paceMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(resolve));
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return `http://127.0.0.1:${address.port}/api/stream`;
}

const honest = (after: number): number[] => Array.from({ length: Math.min(7, TOTAL - after) }, (_, i) => after + 1 + i);

async function readAll(url: string): Promise<ResumingReader> {
  const reader = new ResumingReader({ url }).start();
  closers.push(async () => reader.stop());
  // Stop once the reader reached the end or plainly went past it.
  await waitFor(() => reader.lastSeq >= TOTAL || reader.connections > 40, { what: 'the reader at the end' });
  reader.stop();
  return reader;
}

describe('ResumingReader.check catches the faults every loss test relies on it to catch', () => {
  it('reports a clean read across reconnects as clean', async () => {
    const reader = await readAll(await scriptedServer(honest));
    expect(reader.check(TOTAL)).toEqual({ missing: 0, duplicates: 0, reordered: 0, extra: 0 });
    expect(reader.connections).toBeGreaterThan(5);
    expect(reader.mismatchedIds).toBe(0);
  });

  it('catches a server that skips an entry on resume (loss)', async () => {
    const reader = await readAll(await scriptedServer((after) => (after === 14 ? honest(15) : honest(after))));
    expect(reader.check(TOTAL)).toEqual({ missing: 1, duplicates: 0, reordered: 0, extra: 0 });
  });

  it('catches a server that repeats the entry the cursor names on resume (duplication)', async () => {
    const reader = await readAll(await scriptedServer((after) => (after === 14 ? [14, ...honest(after)] : honest(after))));
    expect(reader.check(TOTAL)).toEqual({ missing: 0, duplicates: 1, reordered: 0, extra: 0 });
  });

  it('catches two entries sent out of order (reordering)', async () => {
    const reader = await readAll(await scriptedServer((after) => (after === 14 ? [16, 15, ...honest(16)] : honest(after))));
    expect(reader.check(TOTAL)).toEqual({ missing: 0, duplicates: 0, reordered: 1, extra: 0 });
  });

  it('resumes exactly through a proxy cutting mid-event', async () => {
    const url = await scriptedServer((after) => Array.from({ length: TOTAL - after }, (_, i) => after + 1 + i), 3);
    const proxy = await ChaosProxy.start({ port: Number(new URL(url).port) });
    closers.push(() => proxy.close());
    const reader = new ResumingReader({ url: proxy.url('/api/stream') }).start();
    closers.push(async () => reader.stop());
    await waitFor(() => proxy.open === 1);
    proxy.cutAllAfter(700);
    await waitFor(() => proxy.cuts === 1);
    await waitFor(() => reader.lastSeq >= TOTAL);
    reader.stop();
    expect(proxy.cutRecords[0]?.midEvent).toBe(true);
    expect(reader.connections).toBe(2);
    expect(reader.check(TOTAL)).toEqual({ missing: 0, duplicates: 0, reordered: 0, extra: 0 });
  });
});
