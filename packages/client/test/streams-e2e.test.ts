import {
  createShipper,
  endStream,
  fetchHistory,
  fetchSources,
  fetchStreamInfo,
  type LivelogClientError,
  listStreams,
  openStream,
} from '@livelog/client';
import type { LogEntry } from '@livelog/protocol';
import { ChaosProxy, delay, type SpawnedServer, spawnServer, tempDir } from '@livelog/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectExactly } from './support/client-suite.js';

let server: SpawnedServer;
let proxy: ChaosProxy;
let data: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  data = await tempDir('livelog-client-streams-');
  server = await spawnServer({ dataDir: data.path, args: ['--retry', '5ms'] });
  proxy = await ChaosProxy.start({ port: server.port });
});
afterAll(async () => {
  await proxy?.close();
  await server?.kill('SIGTERM');
  await data?.remove();
});

async function ship(stream: string, count: number, prefix: string): Promise<void> {
  const shipper = createShipper({ url: server.url, stream, source: prefix, lingerMs: 1 });
  for (let n = 1; n <= count; n++) if (!shipper.write({ msg: `${prefix} ${n}`, level: 'info', n })) await shipper.waitForRoom();
  const report = await shipper.close({ timeoutMs: 20_000 });
  expect(report).toMatchObject({ acknowledged: count, complete: true });
}

describe('@livelog/client against named streams on a real server', () => {
  it('a job stream read through cuts gets every line, then end {exitCode: 3}, and stops; the other stream is untouched', async () => {
    await ship('job-a', 50, 'a');
    await ship('job-b', 30, 'b');
    const reader = openStream({ url: proxy.url(), stream: 'job-a', start: { fromStart: true }, backoff: { baseMs: 1, maxMs: 20 } });
    const seqs: number[] = [];
    const messages: string[] = [];
    const ends: unknown[] = [];
    reader.on('end', (end) => {
      ends.push(end);
    });
    const reading = (async () => {
      for await (const entry of reader as AsyncIterable<LogEntry>) {
        seqs.push(entry.seq);
        messages.push(entry.msg);
      }
    })();
    // Cut the reader repeatedly while the job writes the rest of its lines.
    for (let round = 0; round < 5; round++) {
      const shipper = createShipper({ url: server.url, stream: 'job-a', source: 'a', lingerMs: 1 });
      for (let n = 1; n <= 30; n++) shipper.write({ msg: `a ${50 + round * 30 + n}`, level: 'info' });
      proxy.cutAll();
      expect(await shipper.close({ timeoutMs: 20_000 })).toMatchObject({ acknowledged: 30, complete: true });
    }
    const reply = await endStream(server.url, 'job-a', { exitCode: 3, reason: 'tests failed' });
    expect(reply).toMatchObject({ lastId: expect.stringMatching(/:200$/), end: { exitCode: 3, reason: 'tests failed' } });
    await reading;
    expectExactly(seqs, 200);
    expect(messages).toEqual(Array.from({ length: 200 }, (_, i) => `a ${i + 1}`));
    expect(ends).toMatchObject([{ lastId: reply.lastId, exitCode: 3, reason: 'tests failed' }]);
    expect(reader.ended).toMatchObject({ exitCode: 3, reason: 'tests failed' });
    expect(proxy.cuts).toBeGreaterThanOrEqual(1);
    const attempts = reader.stats().attempts;
    await delay(200);
    expect(reader.stats().attempts).toBe(attempts);

    // A reader that comes after the end replays and stops; history and sources are per stream.
    const late = openStream({ url: server.url, stream: 'job-a', start: { tail: 5 } });
    const lateSeqs: number[] = [];
    for await (const entry of late as AsyncIterable<LogEntry>) lateSeqs.push(entry.seq);
    expect(lateSeqs).toEqual([196, 197, 198, 199, 200]);
    expect(late.ended?.exitCode).toBe(3);
    const b = await fetchHistory({ url: server.url, stream: 'job-b', fromStart: true, limit: 1000 });
    expect(b.entries.map((entry) => entry.msg)).toEqual(Array.from({ length: 30 }, (_, i) => `b ${i + 1}`));
    expect((await fetchSources({ url: server.url, stream: 'job-b' })).map((source) => source.name)).toEqual(['b']);
  });

  it('end is refused twice (409), writes after it are rejected, and the list shows state and exit code', async () => {
    await ship('job-c', 3, 'c');
    await endStream(server.url, 'job-c', { exitCode: 0 });
    await expect(endStream(server.url, 'job-c', { exitCode: 1 })).rejects.toMatchObject({
      status: 409,
      serverCode: 'LIVELOG_ERR_STREAM_ENDED',
    } satisfies Partial<LivelogClientError>);
    const shipper = createShipper({ url: server.url, stream: 'job-c', lingerMs: 1 });
    shipper.write({ msg: 'too late' });
    const report = await shipper.close({ timeoutMs: 10_000 });
    expect(report).toMatchObject({ acknowledged: 0, rejected: 1 });
    expect(report.rejections[0]).toMatchObject({ status: 409, code: 'LIVELOG_ERR_STREAM_ENDED' });
    expect(await fetchStreamInfo(server.url, 'job-c')).toMatchObject({ name: 'job-c', state: 'ended', entries: 3, end: { exitCode: 0 } });
    const page = await listStreams(server.url, { prefix: 'job-', order: 'name' });
    expect(page.streams.map((stream) => stream.name)).toEqual(expect.arrayContaining(['job-a', 'job-b', 'job-c']));
    expect(page.streams.find((stream) => stream.name === 'job-c')).toMatchObject({ state: 'ended', end: { exitCode: 0 } });
    expect(page.streams.every((stream) => stream.name.startsWith('job-'))).toBe(true);
  });

  it('an unknown stream: the reader stops with LIVELOG_CLIENT_ERR_STREAM_NOT_FOUND', async () => {
    const reader = openStream({ url: server.url, stream: 'never-written' });
    const failure = await (async () => {
      try {
        for await (const _ of reader as AsyncIterable<LogEntry>) expect.fail('no entry expected');
      } catch (error) {
        return error as LivelogClientError;
      }
      return undefined;
    })();
    expect(failure).toMatchObject({ code: 'LIVELOG_CLIENT_ERR_STREAM_NOT_FOUND', status: 404 });
  });
});
