import type { EndEvent, HelloEvent, IngestReply, LogEntry, StreamInfo } from '@livelog/protocol';
import {
  ChaosProxy,
  delay,
  openSse,
  postStreamEnd,
  postStreamLogs,
  ResumingReader,
  requestJson,
  StreamLedger,
  spawnServer,
  streamPath,
  tempDir,
  waitFor,
} from '@livelog/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** Every event of one connection, in order, until the server ends it. */
async function readToTheEnd(url: string, headers: Record<string, string> = {}): Promise<{ type: string; data: string; id: string }[]> {
  const events: { type: string; data: string; id: string }[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no end of stream from ${url}`)), 20_000);
    openSse(url, headers, {
      onEvent: (message) => events.push({ type: message.type, data: message.data, id: message.lastEventId }),
      onEnd: (error) => {
        clearTimeout(timer);
        if (error) reject(error);
        else resolve();
      },
    });
  });
  return events;
}

describe('end of stream', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let server: Awaited<ReturnType<typeof spawnServer>>;
  let proxy: ChaosProxy;

  beforeAll(async () => {
    dir = await tempDir();
    server = await spawnServer({ dataDir: dir.path, args: ['--log-level', 'warn', '--ring-entries', '300'] });
    proxy = await ChaosProxy.start({ port: server.port });
  });
  afterAll(async () => {
    await proxy?.close();
    await server?.kill();
    await dir?.remove();
  });

  it('a job written while its reader is cut again and again ends with exit code 3: every line, then end, then no reconnect', async () => {
    const name = 'job-cut-1';
    const ledger = new StreamLedger();
    // The first write creates the stream; the reader attaches right after it.
    const first = await postStreamLogs(server.url, name, `${JSON.stringify({ msg: 'line 0' })}\n`);
    expect(first.status).toBe(200);
    ledger.acknowledged(name, first.body as IngestReply, ['line 0']);
    const reader = new ResumingReader({
      url: proxy.url(`${streamPath(name, '/stream')}?from=start`),
      keepEntries: true,
      pauseMs: () => Math.random() * 15,
    }).start();
    let cutting = true;
    const cutter = (async () => {
      while (cutting) {
        await delay(5 + Math.random() * 25);
        if (Math.random() < 0.5) proxy.cutAllAfter(Math.floor(Math.random() * 2000));
        else proxy.cutAll();
      }
    })();
    let next = 1;
    for (let batch = 0; batch < 60; batch++) {
      const msgs = Array.from({ length: 1 + Math.floor(Math.random() * 60) }, () => `line ${next++}`);
      const reply = await postStreamLogs(server.url, name, `${msgs.map((msg) => JSON.stringify({ msg })).join('\n')}\n`);
      expect(reply.status).toBe(200);
      ledger.acknowledged(name, reply.body as IngestReply, msgs);
      await delay(Math.random() * 8);
    }
    await waitFor(() => proxy.cuts >= 40, { timeoutMs: 20_000, what: '40 cuts' });
    const ended = await postStreamEnd(server.url, name, { exitCode: 3 });
    expect(ended.status, JSON.stringify(ended.body)).toBe(200);
    const endReply = ended.body as { lastId: string; end: { exitCode: number; time: number } };
    expect(endReply.lastId).toBe(`${ledger.identity(name)}:${ledger.lastSeq(name)}`);
    expect(endReply.end.exitCode).toBe(3);
    // Cuts go on after the end: a reader cut before it got `end` resumes and is told again.
    await waitFor(() => !reader.running, { timeoutMs: 20_000, what: 'the reader to stop on the end' });
    cutting = false;
    await cutter;

    expect(ledger.problems(name, reader.entries)).toEqual([]);
    expect(reader.ends.length).toBeGreaterThanOrEqual(1);
    for (const end of reader.ends) expect(end).toMatchObject({ exitCode: 3, lastId: endReply.lastId, time: endReply.end.time });
    // The server said not to come back: `close` with `ended`, retryable false; the reader stopped on it.
    expect(reader.terminal).toBe('ended');
    expect(reader.closeReasons.at(-1)).toBe('ended');
    const connections = reader.connections;
    console.info(`end: ${ledger.lastSeq(name)} lines, ${proxy.cuts} cuts, ${connections} connections, end exitCode 3`);
  });

  it('a reader joining after the end replays, gets end and close, and the server ends the response', async () => {
    const name = 'job-late-1';
    const lines = Array.from({ length: 500 }, (_, i) => JSON.stringify({ msg: `late ${i + 1}` })).join('\n');
    expect((await postStreamLogs(server.url, name, lines)).status).toBe(200);
    const ended = await postStreamEnd(server.url, name, { exitCode: 0, reason: 'done' });
    expect(ended.status).toBe(200);
    const lastId = (ended.body as { lastId: string }).lastId;

    const events = await readToTheEnd(`${server.url}${streamPath(name, '/stream')}?from=start`);
    const types = events.map((event) => event.type);
    expect(types[0]).toBe('hello');
    expect((JSON.parse(events[0]?.data as string) as HelloEvent).ended).toMatchObject({ exitCode: 0, reason: 'done' });
    expect(types.slice(-2)).toEqual(['end', 'close']);
    const seqs = events.filter((event) => event.type === 'message').map((event) => (JSON.parse(event.data) as LogEntry).seq);
    expect(seqs).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
    const end = events.at(-2) as { data: string; id: string };
    expect(JSON.parse(end.data) as EndEvent).toMatchObject({ lastId, exitCode: 0, reason: 'done' });
    expect(end.id).toBe(lastId);
    expect(JSON.parse((events.at(-1) as { data: string }).data)).toEqual({ reason: 'ended', retryable: false });

    // Resuming from the middle replays the rest; resuming from the end id gets only the end.
    const identity = lastId.split(':')[0];
    const resumed = await readToTheEnd(`${server.url}${streamPath(name, '/stream')}`, { 'last-event-id': `${identity}:400` });
    expect(resumed.filter((event) => event.type === 'message').map((event) => (JSON.parse(event.data) as LogEntry).seq)).toEqual(
      Array.from({ length: 100 }, (_, i) => 401 + i),
    );
    expect(resumed.map((event) => event.type).slice(-2)).toEqual(['end', 'close']);
    const atEnd = await readToTheEnd(`${server.url}${streamPath(name, '/stream')}`, { 'last-event-id': lastId });
    expect(atEnd.map((event) => event.type)).toEqual(['hello', 'end', 'close']);
  });

  it("a browser's EventSource that ignores end and close is told by the close not to come back soon (retry: a day)", async () => {
    const name = 'job-plain-es';
    expect((await postStreamLogs(server.url, name, `${JSON.stringify({ msg: 'only line' })}\n`)).status).toBe(200);
    expect((await postStreamEnd(server.url, name, { exitCode: 0 })).status).toBe(200);
    // The raw bytes, as EventSource reads them: it reconnects after any response that ends, after the
    // last `retry:` it saw (hello's 2 s), unless the terminal close changes it.
    const response = await fetch(`${server.url}${streamPath(name, '/stream')}?from=start`);
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const blocks = (await response.text()).split('\n\n');
    const close = blocks.find((block) => block.startsWith('event: close')) ?? '';
    const retry = /^retry: (\d+)$/m.exec(close)?.[1];
    expect(Number(retry)).toBeGreaterThanOrEqual(3_600_000);
    expect(Number(retry)).toBeLessThan(2 ** 31);
  });

  it('answers a retry of a batch stored before the end (its answer lost) with the first reply, not 409', async () => {
    const name = 'job-retry-after-end';
    const body = '{"msg":"last batch"}\n';
    const first = await postStreamLogs(server.url, name, body, { 'idempotency-key': 'batch-7' });
    expect(first.status).toBe(200);
    expect((await postStreamEnd(server.url, name, { exitCode: 0 })).status).toBe(200);
    // The shipper never saw the first answer (a cut connection) and sends the same batch again.
    const retry = await postStreamLogs(server.url, name, body, { 'idempotency-key': 'batch-7' });
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual(first.body);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    // Anything new is still refused, and nothing was stored.
    const other = await postStreamLogs(server.url, name, body, { 'idempotency-key': 'batch-8' });
    expect(other.status).toBe(409);
    expect((await requestJson(server.url, 'GET', streamPath(name))).body).toMatchObject({ state: 'ended', last: 1, entries: 1 });
  });

  it('refuses writes and a second end after the end with 409, and stores nothing', async () => {
    const name = 'job-409';
    expect((await postStreamLogs(server.url, name, '{"msg":"only"}\n')).status).toBe(200);
    expect((await postStreamEnd(server.url, name, { reason: 'cancelled' })).status).toBe(200);
    const before = (await requestJson(server.url, 'GET', streamPath(name))).body as StreamInfo;
    expect(before).toMatchObject({ name, state: 'ended', last: 1, entries: 1, end: { reason: 'cancelled' } });

    const write = await postStreamLogs(server.url, name, '{"msg":"late 1"}\n{"msg":"late 2"}\n');
    expect(write.status).toBe(409);
    expect((write.body as { error: { code: string } }).error.code).toBe('LIVELOG_ERR_STREAM_ENDED');
    const again = await postStreamEnd(server.url, name, { exitCode: 1 });
    expect(again.status).toBe(409);
    expect((again.body as { error: { code: string } }).error.code).toBe('LIVELOG_ERR_STREAM_ENDED');
    const otlp = await requestJson(server.url, 'POST', streamPath(name, '/v1/logs'), {
      resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: 'x' } }] }] }],
    });
    expect(otlp.status).toBe(409);

    const after = (await requestJson(server.url, 'GET', streamPath(name))).body as StreamInfo;
    expect(after).toEqual(before);
    const history = await requestJson(server.url, 'GET', `${streamPath(name, '/logs')}?from=start`);
    expect((history.body as { entries: LogEntry[] }).entries.map((entry) => entry.msg)).toEqual(['only']);
  });

  it('checks the end body: 400 with a code, nothing ended', async () => {
    const name = 'job-bad-end';
    expect((await postStreamLogs(server.url, name, '{"msg":"x"}\n')).status).toBe(200);
    for (const body of [
      '{"exitCode":1.5}',
      '{"exitCode":"3"}',
      '{"exitCode":4294967296}',
      '{"reason":7}',
      '[1]',
      '{"other":1}',
      'not json',
      `{"reason":"${'x'.repeat(1025)}"}`,
    ]) {
      const reply = await requestJson(server.url, 'POST', streamPath(name, '/end'), body);
      expect(reply.status, body).toBe(400);
      expect((reply.body as { error: { code: string } }).error.code, body).toBe('LIVELOG_ERR_STREAM_BAD_END');
    }
    const info = (await requestJson(server.url, 'GET', streamPath(name))).body as StreamInfo;
    expect(info.state).toBe('open');
    // An empty body is an end without code or reason.
    const plain = await requestJson(server.url, 'POST', streamPath(name, '/end'));
    expect(plain.status).toBe(200);
    expect((plain.body as { end: Record<string, unknown> }).end).toEqual({ time: expect.any(Number) });
  });
});
