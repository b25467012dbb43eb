import type { HistoryPage, LogEntry } from '@livelog/protocol';
import { delay, getJson, ndjson, postLogs, ResumingReader, spawnServer, tempDir, waitFor } from '@livelog/test-utils';
import { describe, expect, it } from 'vitest';

describe('graceful shutdown', () => {
  it('commits every accepted batch, refuses the rest, and ends streams so readers reconnect', async () => {
    const dir = await tempDir();
    let server = await spawnServer({ dataDir: dir.path, args: ['--log-level', 'warn'] });
    const port = server.port;
    const reader = new ResumingReader({ url: `http://127.0.0.1:${port}/api/stream?from=start`, pauseMs: () => 50 }).start();
    const acked = new Set<string>();
    let running = true;
    const writer = async (id: number): Promise<void> => {
      for (let batch = 0; running; batch++) {
        const prefix = `w${id}b${batch}`;
        try {
          const reply = await postLogs(server.url, ndjson(100, prefix));
          if (reply.status === 200) acked.add(prefix);
          else expect(reply.body).toMatchObject({ error: { code: 'LIVELOG_ERR_SHUTTING_DOWN' } });
        } catch {
          // Refused at the socket: the server no longer listens.
          await delay(5);
        }
      }
    };
    try {
      const writers = [1, 2, 3, 4].map((id) => writer(id));
      await waitFor(() => acked.size >= 20);
      expect(await server.kill('SIGTERM')).toEqual({ code: 0, signal: null });
      await waitFor(() => reader.closeReasons.includes('shutdown'), { what: 'close event' });
      running = false;
      await Promise.all(writers);

      server = await spawnServer({ dataDir: dir.path, port, args: ['--log-level', 'warn'] });
      const stored = new Map<string, number>();
      let after = '';
      for (;;) {
        const page = await getJson<HistoryPage>(server.url, `/api/logs?limit=1000&${after ? `after=${after}` : 'from=start'}`);
        for (const entry of page.body.entries) {
          const prefix = entry.msg.split(' ')[0] as string;
          stored.set(prefix, (stored.get(prefix) ?? 0) + 1);
        }
        if (!page.body.hasMore) break;
        after = (page.body.entries.at(-1) as LogEntry).id;
      }
      // Exactly the acknowledged batches, each whole: nothing accepted was lost, nothing refused was kept.
      expect([...stored.keys()].sort()).toEqual([...acked].sort());
      for (const count of stored.values()) expect(count).toBe(100);
      const total = acked.size * 100;
      await waitFor(() => reader.lastSeq === total, { timeoutMs: 20_000, what: 'reader resumed after restart' });
      expect(reader.check(total)).toEqual({ missing: 0, duplicates: 0, reordered: 0, extra: 0 });
    } finally {
      running = false;
      reader.stop();
      await server.kill();
      await dir.remove();
    }
  });
});
