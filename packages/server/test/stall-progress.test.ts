import { type IncomingMessage, request } from 'node:http';
import { checkSeqs, delay, postLogs, type SpawnedServer, SseParser, spawnServer, tempDir, waitFor } from '@livelog/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * A stall is a reader that takes nothing, not one that reads slowly (issue 12, item 6: the reconnect
 * storm's readers were cut while reading). The server sees a reader's progress only through its own
 * socket, and Linux wakes a writer only when a third of the send buffer is free again; on loopback that
 * buffer grows to 4 MB, so a reader taking ~300 KB/s shows no progress to Node's write queue for
 * seconds at a time. The reader here drains an 8 MB backlog at that pace, for longer than the stall
 * limit several times over: it must not be cut. A reader that stops must still be cut.
 */
const STALL = '3s';
const ENTRIES = 8000;
const STEP_BYTES = 30 * 1024;
const STEP_MS = 100;

let server: SpawnedServer;
let dir: { path: string; remove: () => Promise<void> };

async function stalledCount(): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return Number(/^livelog_stream_stalled_total (\d+)/m.exec(text)?.[1] ?? Number.NaN);
}

interface PacedReader {
  seqs: number[];
  ended: boolean;
  /** Reads `bytes` every `everyMs` from then on (0 stops reading, the connection stays open). */
  pace(bytes: number): void;
  close(): void;
}

/**
 * An SSE reader over node:http in paused mode: the socket is read only as fast as `read()` empties the
 * response's 16 KB buffer, so the server's socket sees exactly this pace of reading.
 */
function pacedReader(url: string, everyMs: number): PacedReader {
  let response: IncomingMessage | undefined;
  let stepBytes = 0;
  const reader: PacedReader = {
    seqs: [],
    ended: false,
    pace: (bytes) => {
      stepBytes = bytes;
    },
    close: () => {
      clearInterval(timer);
      req.destroy();
    },
  };
  const parser = new SseParser({
    onEvent: (message) => {
      if (message.type === 'message') reader.seqs.push((JSON.parse(message.data) as { seq: number }).seq);
    },
  });
  const timer = setInterval(() => {
    let taken = 0;
    while (response !== undefined && taken < stepBytes) {
      // No more than the step: `read()` alone hands over the whole buffer.
      const want = Math.min(stepBytes - taken, response.readableLength);
      const chunk = (want > 0 ? response.read(want) : response.read()) as Buffer | null;
      if (chunk === null) break;
      taken += chunk.length;
      parser.feed(chunk);
    }
  }, everyMs);
  const end = (): void => {
    reader.ended = true;
    clearInterval(timer);
  };
  const req = request(url, { headers: { accept: 'text/event-stream' }, agent: false }, (res) => {
    response = res;
    res.pause();
    res.on('end', end);
    res.on('close', end);
    res.on('error', end);
  });
  req.on('error', end);
  req.end();
  return reader;
}

beforeAll(async () => {
  dir = await tempDir('livelog-stall-');
  server = await spawnServer({ dataDir: dir.path, args: ['--log-level', 'warn', '--stall-timeout', STALL] });
  const filler = 'z'.repeat(1000);
  for (let from = 0; from < ENTRIES; from += 1000) {
    const reply = await postLogs(server.url, Array.from({ length: 1000 }, (_, n) => `{"msg":"${from + n} ${filler}"}`).join('\n'));
    expect(reply.status).toBe(200);
  }
}, 60_000);

afterAll(async () => {
  await server?.kill();
  await dir?.remove();
});

describe('stall limit', () => {
  it('does not cut a reader that drains a large backlog slowly but steadily', async () => {
    const reader = pacedReader(`${server.url}/api/stream?from=start`, STEP_MS);
    reader.pace(STEP_BYTES);
    try {
      // ~8.6 MB at ~300 KB/s: about 30 s, ten times the stall limit.
      await waitFor(() => reader.seqs.length >= ENTRIES || reader.ended, { timeoutMs: 120_000, what: 'the backlog read slowly' });
      expect(reader.ended, `cut after ${reader.seqs.length} of ${ENTRIES} entries`).toBe(false);
      expect(checkSeqs(reader.seqs, ENTRIES)).toEqual({ missing: 0, duplicates: 0, reordered: 0, extra: 0 });
      expect(await stalledCount()).toBe(0);
    } finally {
      reader.close();
    }
  }, 150_000);

  it('still cuts a reader that stops reading', async () => {
    const before = await stalledCount();
    const reader = pacedReader(`${server.url}/api/stream?from=start`, STEP_MS);
    reader.pace(STEP_BYTES);
    try {
      await waitFor(() => reader.seqs.length >= 100, { timeoutMs: 30_000, what: 'the first entries' });
      reader.pace(0);
      await waitFor(async () => (await stalledCount()) > before, { timeoutMs: 60_000, what: 'the stall disconnect' });
      // The cut closes the socket: reading again finds the end, after fewer entries than the backlog.
      reader.pace(1 << 30);
      await waitFor(() => reader.ended, { timeoutMs: 30_000, what: 'the client to see the connection end' });
      await delay(0);
      expect(reader.seqs.length).toBeLessThan(ENTRIES);
    } finally {
      reader.close();
    }
  }, 150_000);
});
