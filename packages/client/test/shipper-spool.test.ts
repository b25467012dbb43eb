import { spawn } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ChaosProxy, startServer, tempDir, waitFor } from '@livelog/test-utils';
import { afterEach, expect, test } from 'vitest';
import { firstOutOfOrder, readAll } from './support/read-all.js';

const fixture = fileURLToPath(new URL('./fixtures/spool-shipper.mjs', import.meta.url));
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Shipping {
  events: Record<string, unknown>[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(): void;
}

function ship(url: string, spoolDir: string, from: number, to: number, mode = ''): Shipping {
  const child = spawn(process.execPath, [fixture, url, spoolDir, String(from), String(to), mode], { stdio: ['ignore', 'pipe', 'inherit'] });
  const events: Record<string, unknown>[] = [];
  let buffered = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    let newline = buffered.indexOf('\n');
    while (newline !== -1) {
      events.push(JSON.parse(buffered.slice(0, newline)) as Record<string, unknown>);
      buffered = buffered.slice(newline + 1);
      newline = buffered.indexOf('\n');
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal })),
  );
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  });
  return { events, exited, kill: () => child.kill('SIGKILL') };
}

async function spoolBytes(dir: string): Promise<number> {
  let bytes = 0;
  for (const name of await readdir(dir)) if (name.endsWith('.ndjson')) bytes += (await stat(join(dir, name))).size;
  return bytes;
}

test('a spool carries lines across a shipper killed with -9: a restarted shipper sends them, each once, in order', async () => {
  const server = await startServer();
  cleanups.push(() => server.close());
  const proxy = await ChaosProxy.start({ port: Number(new URL(server.url).port) });
  cleanups.push(() => proxy.close());
  const spool = await tempDir('livelog-spool-');
  cleanups.push(spool.remove);

  const first = ship(proxy.url(), spool.path, 1, 20_000);
  const count = async (): Promise<number> => (await server.store.bounds()).last;
  await waitFor(async () => (await count()) >= 3000, { what: 'the first lines stored', timeoutMs: 20_000 });
  // Cut the next reply after the server committed its batch, then take the network away: that
  // batch stays unacknowledged in the spool although the server has it.
  const cuts = proxy.cuts;
  proxy.cutAllAfter(0);
  await waitFor(() => proxy.cuts > cuts, { what: 'a reply cut after commit' });
  proxy.refuse(true);
  proxy.cutAll();
  await waitFor(() => first.events.some((event) => event.event === 'persisted'), { what: 'all 20,000 lines spooled', timeoutMs: 20_000 });
  first.kill();
  expect((await first.exited).signal).toBe('SIGKILL');
  // Nothing reaches the server any more; a request the cut caught after its body arrived may still
  // have committed, which is why this is read only now.
  const storedBeforeKill = await count();
  expect(storedBeforeKill).toBeLessThan(20_000);
  expect(await spoolBytes(spool.path)).toBeGreaterThan(0);

  proxy.refuse(false);
  const second = ship(proxy.url(), spool.path, 20_001, 25_000, 'close');
  expect(await second.exited).toEqual({ code: 0, signal: null });
  const recovered = second.events.find((event) => event.event === 'recovered');
  const closed = second.events.find((event) => event.event === 'closed') as { report: Record<string, unknown> } | undefined;
  expect(recovered?.records).toBeGreaterThanOrEqual(20_000 - storedBeforeKill);
  expect(closed?.report).toMatchObject({ written: 5000, rejected: 0, unacknowledged: 0, complete: true });
  expect(closed?.report.replayed).toBeGreaterThanOrEqual(1);

  const messages = (await readAll(server.url)).map((entry) => entry.msg);
  expect(messages.length).toBe(25_000);
  expect(firstOutOfOrder(messages)).toBe(-1);
  // Everything acknowledged: the spool is truncated.
  expect(await spoolBytes(spool.path)).toBe(0);
}, 60_000);
