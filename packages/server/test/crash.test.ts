import type { HistoryPage, LogEntry } from '@livelog/protocol';
import { delay, getJson, ndjson, postLogs, ResumingReader, spawnServer, tempDir, waitFor } from '@livelog/test-utils';
import { describe, expect, it } from 'vitest';

async function readAll(url: string): Promise<LogEntry[]> {
  const entries: LogEntry[] = [];
  let after = '';
  for (;;) {
    const page = await getJson<HistoryPage>(url, `/api/logs?limit=1000&${after ? `after=${after}` : 'from=start'}`);
    entries.push(...page.body.entries);
    if (!page.body.hasMore || page.body.entries.length === 0) return entries;
    after = (page.body.entries[page.body.entries.length - 1] as LogEntry).id;
  }
}

/**
 * Regression: a memory-only history loses everything on restart. Here the server is killed with
 * SIGKILL at a random moment under load and restarted on the same data.
 */
describe('kill -9', () => {
  it('keeps every acknowledged entry, continues the sequence, and resumes a reader holding a pre-crash id', async () => {
    const dir = await tempDir();
    let server = await spawnServer({ dataDir: dir.path, args: ['--log-level', 'warn'] });
    const port = server.port;
    const acked: { firstSeq: number; lastSeq: number; prefix: string; count: number }[] = [];
    const reader = new ResumingReader({ url: `http://127.0.0.1:${port}/api/stream?from=start`, pauseMs: () => 20 }).start();
    try {
      let running = true;
      let batch = 0;
      const writer = async (id: number): Promise<void> => {
        while (running) {
          const prefix = `w${id}b${batch++}`;
          const count = 1 + Math.floor(Math.random() * 200);
          try {
            const reply = await postLogs(server.url, ndjson(count, prefix));
            if (reply.status === 200) {
              const body = reply.body as { firstId: string; lastId: string };
              acked.push({ firstSeq: Number(body.firstId.split(':')[1]), lastSeq: Number(body.lastId.split(':')[1]), prefix, count });
            }
          } catch {
            // The request died with the server: not acknowledged, so no promise was made for it.
          }
        }
      };
      const writers = [writer(1), writer(2), writer(3)];
      await delay(300 + Math.random() * 900);
      const killed = await server.kill('SIGKILL');
      expect(killed.signal).toBe('SIGKILL');
      running = false;
      await Promise.all(writers);
      expect(acked.length).toBeGreaterThan(0);
      const lastBeforeCrash = reader.lastSeq;

      server = await spawnServer({ dataDir: dir.path, port, args: ['--log-level', 'warn'] });
      const stored = await readAll(server.url);
      const bySeq = new Map(stored.map((entry) => [entry.seq, entry]));
      for (const ack of acked) {
        for (let i = 0; i < ack.count; i++) {
          expect(bySeq.get(ack.firstSeq + i)?.msg, `acknowledged seq ${ack.firstSeq + i}`).toBe(`${ack.prefix} ${i + 1}`);
        }
      }
      expect(stored.map((entry) => entry.seq)).toEqual(stored.map((_, i) => i + 1));
      const maxBefore = stored.length;

      const after = await postLogs(server.url, ndjson(5, 'after restart'));
      expect((after.body as { firstId: string }).firstId).toBe(`${stored[0]?.id.split(':')[0]}:${maxBefore + 1}`);

      await waitFor(() => reader.lastSeq === maxBefore + 5, { timeoutMs: 20_000, what: 'reader resumed past the restart' });
      expect(reader.check(maxBefore + 5)).toEqual({ missing: 0, duplicates: 0, reordered: 0, extra: 0 });
      expect(reader.resets).toEqual([]);
      expect(reader.lastSeq).toBeGreaterThan(lastBeforeCrash);
    } finally {
      reader.stop();
      await server.kill();
      await dir.remove();
    }
  });
});
