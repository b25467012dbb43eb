import type { HistoryPage, IngestReply, LogEntry, StreamInfo } from '@livelog/protocol';
import {
  delay,
  postStreamEnd,
  postStreamLogs,
  requestJson,
  StreamLedger,
  spawnServer,
  streamPath,
  tempDir,
  waitFor,
} from '@livelog/test-utils';
import { describe, expect, it } from 'vitest';

const STREAMS = 100;

/** Every entry of the stream `name`, paging history from the start. */
async function readStream(base: string, name: string): Promise<LogEntry[]> {
  const entries: LogEntry[] = [];
  let query = 'from=start';
  for (;;) {
    const page = await requestJson(base, 'GET', `${streamPath(name, '/logs')}?limit=1000&${query}`);
    if (page.status !== 200) throw new Error(`${name}: ${page.status} ${JSON.stringify(page.body)}`);
    const body = page.body as HistoryPage;
    entries.push(...body.entries);
    if (!body.hasMore || body.entries.length === 0) return entries;
    query = `after=${(body.entries.at(-1) as LogEntry).id}`;
  }
}

/**
 * Regression guard for the one-writer, many-streams commit path: the server is killed with SIGKILL
 * while 100 streams are written at once and some are ended. After a restart on the same data, every
 * acknowledged entry is in its own stream at its acknowledged seq, and every acknowledged end holds.
 */
describe('kill -9 with many streams', () => {
  it('keeps every acknowledged entry in its own stream and every acknowledged end', async () => {
    const dir = await tempDir();
    let server = await spawnServer({ dataDir: dir.path, args: ['--log-level', 'warn'] });
    const port = server.port;
    const names = Array.from({ length: STREAMS }, (_, i) => `crash-${String(i).padStart(3, '0')}`);
    const ledger = new StreamLedger();
    const ends = new Map<string, number>();
    /** Streams an end was sent to, acknowledged or not: no more writes go there. */
    const ending = new Set<string>();
    try {
      let running = true;
      const writer = async (writerId: number): Promise<void> => {
        for (let batch = 0; running; batch++) {
          const open = names.filter((name) => !ending.has(name));
          const name = open[Math.floor(Math.random() * open.length)] as string;
          // Now and then a writer ends a stream that holds entries, as a finished job does.
          const endable = ledger.streams.filter((candidate) => !ending.has(candidate));
          if (batch % 10 === 9 && ending.size < 20 && endable.length > 0) {
            const name = endable[Math.floor(Math.random() * endable.length)] as string;
            ending.add(name);
            const exitCode = writerId * 10 + (batch % 7);
            try {
              const reply = await postStreamEnd(server.url, name, { exitCode });
              if (reply.status === 200) ends.set(name, exitCode);
            } catch {
              // The request died with the server: no promise was made.
            }
            continue;
          }
          const msgs = Array.from({ length: 1 + Math.floor(Math.random() * 40) }, (_, i) => `${name}|w${writerId}|b${batch}|${i}`);
          try {
            const reply = await postStreamLogs(server.url, name, `${msgs.map((msg) => JSON.stringify({ msg })).join('\n')}\n`);
            if (reply.status === 200) ledger.acknowledged(name, reply.body as IngestReply, msgs);
            else if (reply.status !== 409) throw new Error(`${name}: ${reply.status} ${JSON.stringify(reply.body)}`);
          } catch (error) {
            if (error instanceof Error && error.message.startsWith(name)) throw error;
          }
        }
      };
      const writers = Array.from({ length: 8 }, (_, i) => writer(i));
      // Every stream holds acknowledged entries before the kill, which lands while all of them are written.
      await waitFor(() => ledger.streams.length === STREAMS, { timeoutMs: 30_000, what: `writes to all ${STREAMS} streams` });
      await delay(Math.random() * 500);
      const killed = await server.kill('SIGKILL');
      expect(killed.signal).toBe('SIGKILL');
      running = false;
      await Promise.all(writers);
      expect(ledger.streams.length).toBe(STREAMS);

      server = await spawnServer({ dataDir: dir.path, port, args: ['--log-level', 'warn'] });
      let checked = 0;
      for (const name of ledger.streams) {
        const entries = await readStream(server.url, name);
        // Batches whose answer was lost in the crash may be there too, after the acknowledged ones or between them.
        const problems = ledger.problems(name, entries, { exact: false });
        expect(problems, name).toEqual([]);
        for (const entry of entries) expect(entry.msg.startsWith(`${name}|`), `${name} holds ${entry.msg}`).toBe(true);
        checked += entries.length;
      }
      for (const [name, exitCode] of ends) {
        const info = await requestJson(server.url, 'GET', streamPath(name));
        expect(info.status, name).toBe(200);
        expect((info.body as StreamInfo).state, name).toBe('ended');
        expect((info.body as StreamInfo).end?.exitCode, name).toBe(exitCode);
        const write = await postStreamLogs(server.url, name, '{"msg":"after the crash"}\n');
        expect(write.status, name).toBe(409);
      }
      console.info(`kill -9: ${checked} entries in ${ledger.streams.length} streams and ${ends.size} ends survived`);
    } finally {
      await server.kill();
      await dir.remove();
    }
  });
});
