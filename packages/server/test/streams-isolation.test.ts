import type { IngestReply, LogEntry, ResetEvent } from '@livelog/protocol';
import {
  ChaosProxy,
  delay,
  openSse,
  postStreamLogs,
  ResumingReader,
  requestJson,
  StreamLedger,
  spawnServer,
  streamPath,
  tempDir,
  waitFor,
} from '@livelog/test-utils';
import { describe, expect, it } from 'vitest';

const STREAMS = 50;
const WRITERS = 10;
const BATCHES_PER_WRITER = 40;

/**
 * Streams are isolated: many writers write random batches to random streams at once while one
 * reader per stream is cut at random through the fault proxy. Every reader must get exactly its
 * stream's acknowledged entries, each once, in order, and none of another stream.
 */
describe('stream isolation', () => {
  it('50 streams, 10 writers, 50 readers cut at random: each reader gets exactly its stream, once, in order', async () => {
    const dir = await tempDir();
    const server = await spawnServer({ dataDir: dir.path, args: ['--log-level', 'warn', '--ring-entries', '200'] });
    const proxy = await ChaosProxy.start({ port: server.port });
    const names = Array.from({ length: STREAMS }, (_, i) => `iso-${String(i).padStart(2, '0')}`);
    const ledger = new StreamLedger();
    const readers = new Map<string, ResumingReader>();
    try {
      // Made up front so that readers can attach before the first write (an unknown stream is a 404).
      for (const name of names) {
        const made = await requestJson(server.url, 'PUT', streamPath(name), { labels: { suite: 'isolation' } });
        expect(made.status, JSON.stringify(made.body)).toBe(200);
      }
      for (const name of names) {
        const reader = new ResumingReader({
          url: proxy.url(`${streamPath(name, '/stream')}?from=start`),
          keepEntries: true,
          pauseMs: () => Math.random() * 20,
        });
        readers.set(name, reader.start());
      }
      await waitFor(() => [...readers.values()].every((reader) => reader.hellos.length > 0), { what: 'every reader connected' });

      let cutting = true;
      const cutter = (async () => {
        while (cutting) {
          await delay(10 + Math.random() * 40);
          // Some cuts fall mid-event, even mid-character.
          if (Math.random() < 0.5) proxy.cutAllAfter(Math.floor(Math.random() * 3000));
          else proxy.cutAll();
        }
      })();
      const writer = async (writerId: number): Promise<void> => {
        for (let batch = 0; batch < BATCHES_PER_WRITER; batch++) {
          const name = names[Math.floor(Math.random() * names.length)] as string;
          const size = 1 + Math.floor(Math.random() * 30);
          const msgs = Array.from({ length: size }, (_, i) => `${name}|w${writerId}|b${batch}|${i}`);
          const reply = await postStreamLogs(server.url, name, `${msgs.map((msg) => JSON.stringify({ msg })).join('\n')}\n`);
          expect(reply.status, JSON.stringify(reply.body)).toBe(200);
          ledger.acknowledged(name, reply.body as IngestReply, msgs);
        }
      };
      await Promise.all(Array.from({ length: WRITERS }, (_, i) => writer(i)));
      await waitFor(() => proxy.cuts >= 100, { timeoutMs: 30_000, what: '100 cuts' });
      cutting = false;
      await cutter;

      for (const name of names) {
        const reader = readers.get(name) as ResumingReader;
        const last = ledger.lastSeq(name);
        await waitFor(() => reader.lastSeq >= last, { timeoutMs: 30_000, what: `the reader of ${name} at seq ${last}` });
      }
      for (const name of names) {
        const reader = readers.get(name) as ResumingReader;
        reader.stop();
        expect(ledger.problems(name, reader.entries), name).toEqual([]);
        expect(reader.mismatchedIds, name).toBe(0);
        expect(reader.gaps, name).toEqual([]);
        expect(reader.resets, name).toEqual([]);
        // Every hello named the reader's own stream.
        expect(new Set(reader.hellos.map((hello) => hello.name)), name).toEqual(new Set([name]));
      }
      const identities = new Set(names.map((name) => ledger.identity(name)));
      expect(identities.size).toBe(STREAMS);
      const written = names.reduce((sum, name) => sum + ledger.lastSeq(name), 0);
      console.info(`isolation: ${written} entries in ${STREAMS} streams, ${proxy.cuts} cuts, every reader exact`);

      // An id of one stream given to another is foreign: `reset`, never silently taken as a position.
      const [first, second] = names as [string, string];
      const foreignId = `${ledger.identity(first)}:${ledger.lastSeq(first)}`;
      const resets: ResetEvent[] = [];
      const seqs: number[] = [];
      const connection = openSse(
        `${server.url}${streamPath(second, '/stream')}?from=start`,
        { 'last-event-id': foreignId },
        {
          onEvent: (message) => {
            if (message.type === 'reset') resets.push(JSON.parse(message.data) as ResetEvent);
            if (message.type === 'message') seqs.push((JSON.parse(message.data) as LogEntry).seq);
          },
        },
      );
      await waitFor(() => seqs.length >= ledger.lastSeq(second), { what: 'the second stream replayed after the reset' });
      connection.close();
      expect(resets.map((reset) => reset.reason)).toEqual(['foreign']);
      // After the reset the stream started as `from=start` says: the second stream's own entries.
      expect(seqs).toEqual(Array.from({ length: ledger.lastSeq(second) }, (_, i) => i + 1));
    } finally {
      for (const reader of readers.values()) reader.stop();
      await proxy.close();
      await server.kill();
      await dir.remove();
    }
  });
});
