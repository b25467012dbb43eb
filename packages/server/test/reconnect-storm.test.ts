import type { LogEntry } from '@livelog/protocol';
import { checkSeqs, ndjson, openSse, postLogs, type SeqCheck, type SpawnedServer, tempDir } from '@livelog/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prefilledServer } from './support/prefilled-server.js';

/**
 * Issue 12, item 6, as a correctness test: a reconnect storm. 200 readers reconnect at once with
 * Last-Event-ID (as after a server restart) from cursors spread over a 50,000-line store, most of
 * them behind the hot ring, while new lines keep arriving. Every reader must get every seq after its
 * cursor exactly once and in order, and the readers must have shared store pages (the page cache and
 * its shared reads) rather than each reading its own: `livelog_catchup_page_shares_total` >
 * `livelog_catchup_page_reads_total`. Real server process, real HTTP sockets.
 */
const PREFILLED = 50_000;
const READERS = 200;
const LIVE_BATCHES = 5;
const LIVE_BATCH = 200;
const FINAL = PREFILLED + LIVE_BATCHES * LIVE_BATCH;

let server: SpawnedServer;
let dir: { path: string; remove: () => Promise<void> };
let stream = '';

beforeAll(async () => {
  dir = await tempDir('livelog-storm-');
  ({ server, stream } = await prefilledServer(dir.path, PREFILLED, (seq) => `line ${seq}`));
}, 60_000);

afterAll(async () => {
  await server?.kill();
  await dir?.remove();
});

/**
 * The cursor of reader i: most within 6,000 lines of the head (behind the ring of 1,000), some far
 * back, one at the very start. Kept small enough for the readers' own parsing to fit in ~15 s.
 */
function cursorOf(i: number): number {
  if (i % 50 === 0) return i * 200;
  return PREFILLED - 6000 + ((i * 7919) % 5000);
}

interface ReaderResult {
  cursor: number;
  check: SeqCheck;
  received: number;
  /** Frames whose id and body disagree, and named events other than hello (gap, reset, close). */
  wrong: string[];
}

/** Reconnects with Last-Event-ID at `cursor` and reads until the entry `FINAL` arrives. */
function reader(cursor: number): Promise<ReaderResult> {
  return new Promise((resolve, reject) => {
    const seqs: number[] = [];
    const wrong: string[] = [];
    let done = false;
    const connection = openSse(
      `${server.url}/api/stream`,
      { 'last-event-id': `${stream}:${cursor}` },
      {
        onEvent: (message) => {
          if (message.type !== 'message') {
            if (message.type !== 'hello' && message.type !== 'lag') wrong.push(`${message.type} ${message.data}`);
            return;
          }
          const seq = Number(message.lastEventId.slice(stream.length + 1));
          const entry = JSON.parse(message.data) as LogEntry;
          if (entry.seq !== seq || entry.id !== message.lastEventId) wrong.push(`frame ${message.lastEventId} holds ${entry.id}`);
          seqs.push(seq);
          if (seq === FINAL && !done) {
            done = true;
            connection.close();
            resolve({ cursor, check: checkSeqs(seqs, FINAL, cursor + 1), received: seqs.length, wrong });
          }
        },
        onEnd: (error) => {
          if (!done) reject(error ?? new Error(`reader at ${cursor} ended after ${seqs.length} entries`));
        },
      },
    );
  });
}

async function metric(name: string): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const match = new RegExp(`^${name} (\\d+)$`, 'm').exec(text);
  if (match === null) throw new Error(`no metric ${name}`);
  return Number(match[1]);
}

describe('reconnect storm', () => {
  it('brings 200 readers reconnecting at once back to the head, each seq once and in order, sharing store pages', async () => {
    const started = performance.now();
    const readers = Array.from({ length: READERS }, (_, i) => reader(cursorOf(i)));
    // New lines keep arriving while the storm runs.
    for (let batch = 0; batch < LIVE_BATCHES; batch++) {
      const reply = await postLogs(server.url, ndjson(LIVE_BATCH, 'live', PREFILLED + batch * LIVE_BATCH + 1));
      expect(reply.status).toBe(200);
    }
    const results = await Promise.all(readers);
    const seconds = (performance.now() - started) / 1000;

    const clean: SeqCheck = { missing: 0, duplicates: 0, reordered: 0, extra: 0 };
    for (const result of results) {
      expect({ cursor: result.cursor, ...result.check, wrong: result.wrong }).toEqual({ cursor: result.cursor, ...clean, wrong: [] });
      expect(result.received).toBe(FINAL - result.cursor);
    }
    const reads = await metric('livelog_catchup_page_reads_total');
    const shares = await metric('livelog_catchup_page_shares_total');
    const delivered = results.reduce((sum, result) => sum + result.received, 0);
    console.log(
      `reconnect storm: ${READERS} readers, ${delivered} entries in ${seconds.toFixed(1)} s; ` +
        `store page reads ${reads}, shared pages ${shares}`,
    );
    expect(reads).toBeGreaterThan(0);
    expect(shares).toBeGreaterThan(reads);
  }, 60_000);
});
