import type { IngestReply } from '@livelog/protocol';
import {
  ChaosProxy,
  delay,
  postStreamLogs,
  ResumingReader,
  requestJson,
  type SpawnedServer,
  StreamLedger,
  spawnServer,
  streamPath,
  tempDir,
  waitFor,
} from '@livelog/test-utils';
import { expect } from 'vitest';

/** Size of an HTTP isolation run. */
export interface HttpIsolationRun {
  /** `--store` of both servers: a Redis or cluster URL with a key prefix of the test's own. */
  store: string;
  streams: number;
  writers: number;
  batchesPerWriter: number;
  /** Cuts to reach before the check. */
  cuts: number;
}

/**
 * Issue 10's isolation test on Redis through HTTP: two `livelog serve` processes on one store, each
 * behind a fault-injecting proxy; writers post random batches to random streams through either
 * server; one reader per stream alternates between the two proxies, which cut connections at random
 * (some mid-event). Every reader must get exactly its stream's acknowledged entries, once, in order,
 * none of another stream, and no reset.
 */
export async function runHttpIsolation(run: HttpIsolationRun): Promise<{ entries: number; cuts: number }> {
  const dirs: { remove(): Promise<void> }[] = [];
  const servers: SpawnedServer[] = [];
  const proxies: ChaosProxy[] = [];
  const readers = new Map<string, ResumingReader>();
  try {
    for (let i = 0; i < 2; i++) {
      const dir = await tempDir('livelog-redis-http-');
      dirs.push(dir);
      const server = await spawnServer({ dataDir: dir.path, args: ['--store', run.store, '--log-level', 'warn'] });
      servers.push(server);
      proxies.push(await ChaosProxy.start({ port: server.port }));
    }
    const names = Array.from({ length: run.streams }, (_, i) => `iso-${String(i).padStart(2, '0')}`);
    const ledger = new StreamLedger();
    for (const [i, name] of names.entries()) {
      const made = await requestJson((servers[i % 2] as SpawnedServer).url, 'PUT', streamPath(name), { labels: { suite: 'redis' } });
      expect(made.status, JSON.stringify(made.body)).toBe(200);
    }
    for (const name of names) {
      const reader = new ResumingReader({
        url: proxies.map((proxy) => proxy.url(`${streamPath(name, '/stream')}?from=start`)),
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
        const proxy = proxies[Math.floor(Math.random() * 2)] as ChaosProxy;
        if (Math.random() < 0.5) proxy.cutAllAfter(Math.floor(Math.random() * 3000));
        else proxy.cutAll();
      }
    })();
    await Promise.all(
      Array.from({ length: run.writers }, async (_, writer) => {
        for (let batch = 0; batch < run.batchesPerWriter; batch++) {
          const name = names[Math.floor(Math.random() * names.length)] as string;
          const size = 1 + Math.floor(Math.random() * 30);
          const msgs = Array.from({ length: size }, (_, i) => `${name}|w${writer}|b${batch}|${i}`);
          const server = servers[Math.floor(Math.random() * 2)] as SpawnedServer;
          const reply = await postStreamLogs(server.url, name, `${msgs.map((msg) => JSON.stringify({ msg })).join('\n')}\n`);
          expect(reply.status, JSON.stringify(reply.body)).toBe(200);
          ledger.acknowledged(name, reply.body as IngestReply, msgs);
        }
      }),
    );
    const cuts = () => proxies.reduce((sum, proxy) => sum + proxy.cuts, 0);
    await waitFor(() => cuts() >= run.cuts, { timeoutMs: 30_000, what: `${run.cuts} cuts` });
    cutting = false;
    await cutter;

    for (const name of names) {
      const reader = readers.get(name) as ResumingReader;
      const last = ledger.lastSeq(name);
      await waitFor(() => reader.lastSeq >= last, { timeoutMs: 30_000, what: `the reader of ${name} at seq ${last}` });
    }
    let entries = 0;
    for (const name of names) {
      const reader = readers.get(name) as ResumingReader;
      reader.stop();
      entries += ledger.lastSeq(name);
      expect(ledger.problems(name, reader.entries), name).toEqual([]);
      expect(reader.mismatchedIds, name).toBe(0);
      expect(reader.gaps, name).toEqual([]);
      expect(reader.resets, name).toEqual([]);
      expect(new Set(reader.hellos.map((hello) => hello.name)), name).toEqual(new Set([name]));
    }
    expect(new Set(names.map((name) => ledger.identity(name))).size).toBe(run.streams);
    // Both servers served readers.
    for (const proxy of proxies) expect(proxy.cuts).toBeGreaterThan(0);
    return { entries, cuts: cuts() };
  } finally {
    for (const reader of readers.values()) reader.stop();
    for (const proxy of proxies) await proxy.close().catch(() => undefined);
    for (const server of servers) await server.kill('SIGKILL').catch(() => undefined);
    for (const dir of dirs) await dir.remove().catch(() => undefined);
  }
}
