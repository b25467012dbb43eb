import { readFile } from 'node:fs/promises';
import { type IncomingMessage, request } from 'node:http';
import { checkSeqs, type SpawnedServer, SseParser, tempDir, waitFor } from '@livelog/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prefilledServer, serveFilled } from './support/prefilled-server.js';

/**
 * Issue 12, item 6: the bytes in flight to readers catching up are bounded. On loopback Linux grows a
 * socket's send buffer towards `tcp_wmem`'s maximum (4 MB), and the kernel takes a catch-up page at
 * once while there is room: a reconnect storm's thousand readers then held over a gigabyte in the
 * server's send queues, at the kernel's TCP memory pressure mark (drops, retransmission timeouts, live
 * readers stalled). The server writes a reader its next page only once what it has in flight (its
 * own buffers and the kernel's send queue) is within its share of 32 MiB among the readers catching up.
 * Here 31 readers catch up without reading and one takes a 12 MB backlog at a steady pace: the
 * server's send queue for its connection, read from `/proc/net/tcp` while it reads, must stay within
 * its share (1 MiB) and one page (1,000 entries of ~240 B); every seq arrives once, in order.
 */
const ENTRIES = 50_000;
const IDLE_READERS = 31;
const LIMIT = (32 * 1024 * 1024) / (IDLE_READERS + 1);
/** One page of these entries (1,000 × ~240 B) and the lag events and chunk framing besides. */
const PAGE_BYTES = 300 * 1024;
const STEP_BYTES = 64 * 1024;
const STEP_MS = 20;
/**
 * The stall limit of the second test's server, below the default 30 s the first test keeps (its idle
 * readers must stay for the whole drain, however slow a loaded machine makes it). It must still be
 * longer than opening the idle readers and reading a quarter of the backlog (a second or two here):
 * the idle readers must be catching up when the reader stops, or its share is not what it waits on.
 */
const SHORT_STALL = '10s';

let server: SpawnedServer;
let dir: { path: string; remove: () => Promise<void> };

beforeAll(async () => {
  dir = await tempDir('livelog-in-flight-');
  const filler = 'q'.repeat(150);
  ({ server } = await prefilledServer(dir.path, ENTRIES, (seq) => `${seq - 1} ${filler}`));
}, 60_000);

afterAll(async () => {
  await server?.kill();
  await dir?.remove();
});

async function delivered(): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return Number(/^livelog_stream_delivered_entries_total (\d+)/m.exec(text)?.[1] ?? Number.NaN);
}

/** A reader that reads nothing: its catch-up waits on it, and it counts among the readers catching up. */
function idleReader(): { close: () => void } {
  const req = request(`${server.url}/api/stream?from=start`, { headers: { accept: 'text/event-stream' }, agent: false }, (res) =>
    res.pause(),
  );
  req.on('error', () => undefined);
  req.end();
  return { close: () => req.destroy() };
}

interface PacedReader {
  seqs: number[];
  ended: () => boolean;
  /** Bytes taken every STEP_MS from now on (0 stops reading; the connection stays open). */
  pace: (bytes: number) => void;
  localPort: () => number | undefined;
  close: () => void;
}

/** An SSE reader over node:http in paused mode: the server's socket sees exactly the pace it reads at. */
function pacedReader(): PacedReader {
  const seqs: number[] = [];
  let ended = false;
  let step = STEP_BYTES;
  let response: IncomingMessage | undefined;
  const parser = new SseParser({
    onEvent: (message) => {
      if (message.type === 'message') seqs.push((JSON.parse(message.data) as { seq: number }).seq);
    },
  });
  const req = request(`${server.url}/api/stream?from=start`, { headers: { accept: 'text/event-stream' }, agent: false }, (res) => {
    response = res;
    res.pause();
    res.on('close', () => {
      ended = true;
    });
  });
  req.on('error', () => {
    ended = true;
  });
  req.end();
  const timer = setInterval(() => {
    let taken = 0;
    while (response !== undefined && taken < step) {
      const chunk = response.read() as Buffer | null;
      if (chunk === null) break;
      taken += chunk.length;
      parser.feed(chunk);
    }
  }, STEP_MS);
  return {
    seqs,
    ended: () => ended,
    pace: (bytes) => {
      step = bytes;
    },
    localPort: () => (response === undefined ? undefined : req.socket?.localPort),
    close: () => {
      clearInterval(timer);
      req.destroy();
    },
  };
}

/** The kernel's send queue (tx_queue) of the IPv4 loopback connection from local port `from` to `to`. */
async function sendQueue(from: number, to: number): Promise<number | undefined> {
  const hex = (port: number): string => `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  for (const line of (await readFile('/proc/net/tcp', 'latin1')).split('\n').slice(1)) {
    const [, local, remote, , queues] = line.trim().split(/\s+/);
    if (local?.endsWith(hex(from)) && remote?.endsWith(hex(to)) && queues !== undefined) {
      return Number.parseInt(queues.slice(0, queues.indexOf(':')), 16);
    }
  }
  return undefined;
}

async function stalledCount(): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return Number(/^livelog_stream_stalled_total (\d+)/m.exec(text)?.[1] ?? Number.NaN);
}

/** Opens the idle readers and waits until each has its first page (and so is counted as catching up). */
async function openIdle(): Promise<{ close: () => void }[]> {
  const before = await delivered();
  const idle = Array.from({ length: IDLE_READERS }, idleReader);
  await waitFor(async () => (await delivered()) >= before + IDLE_READERS * 1000, { timeoutMs: 30_000, what: 'the idle readers' });
  return idle;
}

describe.runIf(process.platform === 'linux')('bytes in flight to a catch-up reader', () => {
  it("keeps the server's send queue within the reader's share and a page while it takes the backlog", async () => {
    const idle = await openIdle();
    const reader = pacedReader();
    const serverPort = Number(new URL(server.url).port);
    let most = 0;
    let samples = 0;
    try {
      await waitFor(() => reader.localPort() !== undefined, { timeoutMs: 10_000, what: 'the response' });
      const clientPort = reader.localPort() as number;
      // Sampled while the backlog is read: the catch-up part of it, before the cursor reaches the ring.
      while (reader.seqs.length < ENTRIES - 2000 && !reader.ended()) {
        const queued = await sendQueue(serverPort, clientPort);
        if (queued !== undefined) {
          most = Math.max(most, queued);
          samples++;
        }
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      await waitFor(() => reader.seqs.length >= ENTRIES || reader.ended(), { timeoutMs: 120_000, what: 'the whole backlog' });
      expect(reader.ended()).toBe(false);
      expect(checkSeqs(reader.seqs, ENTRIES)).toEqual({ missing: 0, duplicates: 0, reordered: 0, extra: 0 });
      expect(samples).toBeGreaterThan(10);
      expect(most, `largest send queue seen over ${samples} samples`).toBeLessThanOrEqual(LIMIT + PAGE_BYTES);
    } finally {
      reader.close();
      for (const one of idle) one.close();
    }
  }, 180_000);

  // A guard, not a fix: waiting on the bytes in flight counts as waiting for the socket, so a reader
  // that stops reading there is still cut at the stall limit rather than held, and read about, forever.
  // The same store, served again with a shorter limit than the default 30 s, so as not to wait that out.
  it('still cuts a reader that stops reading while it waits on its bytes in flight', async () => {
    await server.kill();
    server = await serveFilled(dir.path, ['--stall-timeout', SHORT_STALL]);
    const idle = await openIdle();
    const before = await stalledCount();
    const reader = pacedReader();
    try {
      await waitFor(() => reader.seqs.length >= ENTRIES / 4 || reader.ended(), { timeoutMs: 60_000, what: 'a quarter of the backlog' });
      reader.pace(0);
      // The premise: no idle reader was cut yet, so all 32 count as catching up and the reader's share
      // (1 MiB) is what it waits on, not the kernel's buffers.
      expect(await stalledCount(), `a reader was cut before the reader stopped (stall limit ${SHORT_STALL})`).toBe(before);
      await waitFor(async () => (await stalledCount()) >= before + IDLE_READERS + 1, { timeoutMs: 120_000, what: 'the stall cuts' });
      reader.pace(1 << 30);
      await waitFor(() => reader.ended(), { timeoutMs: 30_000, what: 'the reader to see its connection end' });
      expect(reader.seqs.length).toBeLessThan(ENTRIES);
      expect(checkSeqs(reader.seqs, reader.seqs.length)).toEqual({ missing: 0, duplicates: 0, reordered: 0, extra: 0 });
    } finally {
      reader.close();
      for (const one of idle) one.close();
    }
  }, 240_000);
});
