import { ChaosProxy, delay, freePort, type SpawnedServer, spawnServer, tempDir, waitFor } from '@livelog/test-utils';
import { afterEach, expect, test } from 'vitest';
import { createShipper } from '../src/shipper/shipper.js';
import { firstOutOfOrder, readAll } from './support/read-all.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

test('every line stored exactly once and in order across a server killed for 3 s and replies cut after commit', async () => {
  const data = await tempDir('livelog-shipper-outage-');
  cleanups.push(data.remove);
  const port = await freePort();
  let server: SpawnedServer = await spawnServer({ dataDir: data.path, port });
  cleanups.push(() => server.kill('SIGKILL'));
  const proxy = await ChaosProxy.start({ port });
  cleanups.push(() => proxy.close());
  const shipper = createShipper({
    url: proxy.url(),
    source: 'outage',
    lingerMs: 5,
    maxBatchEntries: 500,
    retry: { initialDelayMs: 50, maxDelayMs: 400 },
  });
  let retries = 0;
  shipper.on('retry', () => {
    retries++;
  });

  const total = 40_000;
  let written = 0;
  const writer = (async () => {
    // About 10,000 lines/s, so the outage falls in the middle of the run.
    while (written < total) {
      for (let i = 0; i < 250 && written < total; i++) {
        written++;
        if (!shipper.write({ msg: `line ${written}`, level: written % 10 === 0 ? 'warn' : 'info' })) await shipper.waitForRoom();
      }
      await delay(25);
    }
  })();
  // Every reply in flight when this fires is cut after the server committed its batch: only the
  // Idempotency-Key of the retry keeps those lines from being stored twice.
  let cutting = true;
  const cutter = (async () => {
    while (cutting) {
      proxy.cutAllAfter(0);
      await delay(120);
    }
  })();

  await waitFor(() => written >= 10_000, { what: 'the first 10,000 lines written' });
  await server.kill('SIGKILL');
  const writtenAtKill = written;
  await delay(3000);
  expect(written).toBeGreaterThan(writtenAtKill);
  server = await spawnServer({ dataDir: data.path, port });
  await writer;
  const report = await shipper.close();
  cutting = false;
  await cutter;

  expect(report).toMatchObject({ written: total, acknowledged: total, rejected: 0, unacknowledged: 0, complete: true });
  expect(report.replayed).toBeGreaterThan(0);
  expect(retries).toBeGreaterThan(0);
  const entries = await readAll(server.url);
  const messages = entries.map((entry) => entry.msg);
  expect(messages.length).toBe(total);
  expect(firstOutOfOrder(messages)).toBe(-1);
  expect(entries.every((entry) => entry.source === 'outage')).toBe(true);
  expect(entries[9]?.level).toBe('warn');
}, 60_000);
