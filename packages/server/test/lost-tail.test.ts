import { cp, rm } from 'node:fs/promises';
import type { LogEntry, ResetEvent } from '@livelog/protocol';
import { ndjson, openSse, postLogs, type SpawnedServer, type SseConnection, spawnServer, tempDir, waitFor } from '@livelog/test-utils';
import { afterEach, describe, expect, it } from 'vitest';

/**
 * Regression: a store that lost its tail (a power cut under `--durability normal`, an older copy of
 * the file put back) gives the lost seqs to new entries. A reader coming back with an id past the
 * store's head got `reset` `future` and then live only, so the entries written since the store came
 * back were lost to it, with no count. Here the tail is lost for real: the SQLite file is copied with
 * the server stopped, written past, and the copy put back before the server starts again.
 */
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function start(dataDir: string): Promise<SpawnedServer> {
  const server = await spawnServer({ dataDir, logLevel: 'warn', args: ['--durability', 'normal'] });
  cleanups.push(() => server.kill());
  return server;
}

async function write(server: SpawnedServer, count: number, prefix: string): Promise<void> {
  expect((await postLogs(server.url, ndjson(count, prefix))).status).toBe(200);
}

/** The entries and control events of one SSE connection. */
function read(url: string, headers: Record<string, string>): { entries: LogEntry[]; resets: ResetEvent[]; connection: SseConnection } {
  const entries: LogEntry[] = [];
  const resets: ResetEvent[] = [];
  const connection = openSse(url, headers, {
    onEvent: (message) => {
      if (message.type === 'message') entries.push(JSON.parse(message.data) as LogEntry);
      if (message.type === 'reset') resets.push(JSON.parse(message.data) as ResetEvent);
    },
  });
  cleanups.push(() => connection.close());
  return { entries, resets, connection };
}

describe('a store that lost its tail', () => {
  it('sends a reader holding an id past its head every retained entry, after a reset future', async () => {
    const data = await tempDir();
    const backup = await tempDir();
    cleanups.push(
      () => data.remove(),
      () => backup.remove(),
    );

    let server = await start(data.path);
    await write(server, 5, 'kept');
    await server.kill('SIGTERM');
    await cp(data.path, backup.path, { recursive: true });

    server = await start(data.path);
    await write(server, 5, 'lost');
    const before = read(`${server.url}/api/stream?from=start`, {});
    await waitFor(() => before.entries.length === 10, { what: 'the reader to see all 10 entries' });
    before.connection.close();
    const lastEventId = (before.entries[9] as LogEntry).id;
    await server.kill('SIGTERM');

    // The tail is lost: the copy taken at seq 5 comes back, and the server hands out 6.. again.
    await rm(data.path, { recursive: true, force: true });
    await cp(backup.path, data.path, { recursive: true });
    server = await start(data.path);
    await write(server, 3, 'after');

    // A browser's EventSource resends its URL (here: no start asked) with its old id.
    const after = read(`${server.url}/api/stream`, { 'last-event-id': lastEventId });
    await waitFor(() => after.resets.length === 1, { what: 'the reset' });
    await write(server, 1, 'live');
    await waitFor(() => after.entries.some((entry) => entry.msg === 'live 1'), { what: 'the live entry' });

    const stream = lastEventId.split(':')[0];
    expect(after.resets).toEqual([{ reason: 'future', stream }]);
    // Every seq once, in order. 1-5 are the entries the reader already saw (the same, they survived
    // the loss): the reset announced that the stream starts again at its oldest retained entry.
    expect(after.entries.map((entry) => entry.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(after.entries.map((entry) => entry.msg)).toEqual([
      ...before.entries.slice(0, 5).map((entry) => entry.msg),
      'after 1',
      'after 2',
      'after 3',
      'live 1',
    ]);
    expect(after.entries.slice(0, 5)).toEqual(before.entries.slice(0, 5));
  });
});
