import { CHROMIUM_ARGS, chromiumPath, postLogs, type SpawnedServer, spawnServer, tempDir, waitFor } from '@livelog/test-utils';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterEach, expect, it } from 'vitest';
import { readAll } from './support/read-all.js';

/**
 * The browser's own EventSource, no library, reading while the server is killed with SIGKILL under
 * steady ingest and brought back on the same data, twice (the second time with a smaller hot ring, so
 * the reader resumes from SQLite rather than from memory). It must reconnect by itself with
 * Last-Event-ID and hold every stored seq once, in order, with the message stored at it.
 */
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

interface Seen {
  seqs: number[];
  msgs: string[];
  /** Entries whose event id differed from the entry's own id (a cursor that would resume wrong). */
  badIds: number;
  hellos: number;
}

const seen = (page: Page): Promise<Seen> => page.evaluate(() => (globalThis as unknown as { seen: Seen }).seen);

it('native EventSource: every seq once and in order across two kill -9 restarts under ingest', async () => {
  const dir = await tempDir('livelog-native-es-');
  cleanups.push(() => dir.remove());
  const args = ['--retry', '50ms', '--log-level', 'warn'];
  let server: SpawnedServer = await spawnServer({ dataDir: dir.path, args });
  cleanups.push(() => server.kill('SIGKILL'));
  const port = server.port;
  const browser: Browser = await chromium.launch({ executablePath: chromiumPath(), args: [...CHROMIUM_ARGS] });
  cleanups.push(() => browser.close());
  const page = await browser.newPage();
  await page.goto(`${server.url}/healthz`);
  await page.evaluate(() => {
    const state: Seen = { seqs: [], msgs: [], badIds: 0, hellos: 0 };
    (globalThis as unknown as { seen: Seen }).seen = state;
    const source = new EventSource('/api/stream?from=start');
    source.onmessage = (message) => {
      const entry = JSON.parse(message.data) as { id: string; seq: number; msg: string };
      state.seqs.push(entry.seq);
      state.msgs.push(entry.msg);
      if (message.lastEventId !== entry.id) state.badIds++;
    };
    source.addEventListener('hello', () => state.hellos++);
  });
  await waitFor(async () => (await seen(page)).hellos === 1, { what: 'hello' });

  let writing = true;
  let acked = 0;
  let refused = 0;
  const writer = (async () => {
    for (let batch = 0; writing; batch++) {
      const body = Array.from({ length: 20 }, (_, i) => JSON.stringify({ msg: `b${batch} ${i}` })).join('\n');
      // A request the kill cuts is not acknowledged; the server may still have stored it, and then the
      // reader must get it like any other (checked against the history below, not the acks).
      const reply = await postLogs(`http://127.0.0.1:${port}`, body).catch(() => undefined);
      if (reply?.status === 200) acked++;
      else refused++;
      if (reply?.status !== 200) await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();

  for (const ring of ['10000', '5']) {
    // Kill while entries flow: the reader has some, and the writer has had more acknowledged since.
    const atStart = acked;
    await waitFor(async () => acked >= atStart + 10 && (await seen(page)).seqs.length > 0, { what: 'entries flowing' });
    const hellos = (await seen(page)).hellos;
    await server.kill('SIGKILL');
    server = await spawnServer({ dataDir: dir.path, port, args: [...args, '--ring-entries', ring] });
    await waitFor(async () => (await seen(page)).hellos === hellos + 1, { what: 'the reconnect after the restart' });
  }
  const afterRestarts = acked;
  await waitFor(() => acked >= afterRestarts + 10, { what: 'entries after the last restart' });
  writing = false;
  await writer;

  const stored = await readAll(server.url);
  const last = stored.at(-1)?.seq ?? 0;
  await waitFor(async () => (await seen(page)).seqs.at(-1) === last, { what: `the reader at seq ${last}` });
  const result = await seen(page);
  expect(stored.map((entry) => entry.seq)).toEqual(stored.map((_, i) => i + 1));
  expect(result.seqs).toEqual(stored.map((entry) => entry.seq));
  expect(result.msgs).toEqual(stored.map((entry) => entry.msg));
  expect(result.badIds).toBe(0);
  expect(result.hellos).toBe(3);
  // Both kills hit a writer in full flow: its requests failed until the server was back.
  expect(refused).toBeGreaterThanOrEqual(2);
});
