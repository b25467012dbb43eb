import { type ChildProcess, execFile, spawn } from 'node:child_process';
import type { EndEvent, GapEvent, HelloEvent, LogEntry, ResetEvent } from '@livelog/protocol';
import {
  ChaosProxy,
  checkSeqs,
  commandRuns,
  ingest,
  postLogs,
  postStreamEnd,
  postStreamLogs,
  SseParser,
  startServer,
  type TestServer,
  waitFor,
} from '@livelog/test-utils';
import { EventSource } from 'eventsource';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * SSE clients that are not ours read livelog's streams: the `eventsource` npm package (the Node
 * EventSource, WHATWG rules) and `curl -N`. Each resumes after cuts with the last id it saw and must
 * get every seq once, in order. docs/guides/reverse-proxy.md#third-party-sse-clients sums this up.
 */
const CURL = commandRuns('curl');
if (!CURL) console.warn('third-party-clients.test.ts: curl is not installed; its tests are skipped');
const PYTHON = commandRuns('python3');
if (!PYTHON) console.warn('third-party-clients.test.ts: python3 is not installed; its test is skipped');

const servers: TestServer[] = [];
const proxies: ChaosProxy[] = [];
const sources: EventSource[] = [];
const children: ChildProcess[] = [];
afterAll(async () => {
  for (const source of sources) source.close();
  for (const child of children) child.kill('SIGKILL');
  for (const proxy of proxies) await proxy.close();
  for (const server of servers) await server.close();
});

async function start(input: Parameters<typeof startServer>[0] = {}): Promise<TestServer> {
  const server = await startServer({ retry: '50ms', heartbeat: '200ms', ...input });
  servers.push(server);
  return server;
}

/** An `eventsource` reader recording entries and the named events it listens to with addEventListener. */
function eventSource(url: string) {
  const source = new EventSource(url);
  sources.push(source);
  const seen = { seqs: [] as number[], ids: [] as string[], hellos: [] as HelloEvent[], named: new Map<string, unknown[]>(), source };
  source.onmessage = (message) => {
    const entry = JSON.parse(message.data) as LogEntry;
    seen.seqs.push(entry.seq);
    seen.ids.push(message.lastEventId === entry.id ? entry.id : `mismatch ${message.lastEventId}`);
  };
  for (const name of ['hello', 'gap', 'reset', 'end', 'close']) {
    seen.named.set(name, []);
    source.addEventListener(name, (message) => {
      seen.named.get(name)?.push(JSON.parse(message.data));
      if (name === 'hello') seen.hellos.push(JSON.parse(message.data) as HelloEvent);
    });
  }
  return seen;
}

const clean = { missing: 0, duplicates: 0, reordered: 0, extra: 0 };

describe('the eventsource npm package', () => {
  it('resumes with Last-Event-ID after connections cut mid-event, every seq once and in order', async () => {
    const server = await start();
    const proxy = await ChaosProxy.start({ port: Number(new URL(server.url).port) });
    proxies.push(proxy);
    const reader = eventSource(proxy.url('/api/stream?from=start'));
    await waitFor(() => reader.hellos.length === 1, { what: 'hello' });
    let last = 0;
    for (let batch = 1; batch <= 6; batch++) {
      // Somewhere inside the batch's events (~150 bytes each): the cut event must not be dispatched.
      proxy.cutAllAfter(97 * batch + 1000);
      last = Number((await ingest(server.url, 50, `b${batch}`)).lastId.split(':')[1]);
      await waitFor(() => reader.seqs.includes(last), { timeoutMs: 10_000, what: `batch ${batch} after a cut` });
    }
    expect(checkSeqs(reader.seqs, last)).toEqual(clean);
    expect(reader.ids.filter((id) => id.startsWith('mismatch'))).toEqual([]);
    expect(proxy.cutStats().total).toBe(6);
    expect(proxy.cutStats().midEvent).toBeGreaterThanOrEqual(3);
    expect(reader.hellos.length).toBe(7);
  });

  // eventsource-parser dispatches nothing for an event without data, so this client never takes the
  // id of the id-only events a filter sends: it resumes from its last match, and the server scans the
  // skipped entries again. Slower, never wrong: every match once, in order.
  it('resumes a filtered stream after cuts with every match once, though it ignores id-only events', async () => {
    const server = await start();
    const proxy = await ChaosProxy.start({ port: Number(new URL(server.url).port) });
    proxies.push(proxy);
    const reader = eventSource(proxy.url('/api/stream?from=start&level=error'));
    const expected: number[] = [];
    for (let batch = 0; batch < 4; batch++) {
      // Each batch: 20 entries, every fifth an error.
      const lines = Array.from({ length: 20 }, (_, i) => ({ msg: `m${batch}.${i}`, level: i % 5 === 4 ? 'error' : 'info' }));
      const reply = await postLogs(server.url, `${lines.map((line) => JSON.stringify(line)).join('\n')}\n`);
      const first = Number((reply.body as { firstId: string }).firstId.split(':')[1]);
      expected.push(...lines.flatMap((line, i) => (line.level === 'error' ? [first + i] : [])));
      await waitFor(() => reader.seqs.includes(expected[expected.length - 1] as number), { what: `batch ${batch}'s errors` });
      proxy.cutAll();
    }
    await waitFor(() => reader.hellos.length === 5, { what: 'the reconnect after the last cut' });
    expect(reader.seqs).toEqual(expected);
  });

  it('gets hello, reset, gap, end and close as named events, with the ids that move its cursor', async () => {
    const server = await start({ retainEntries: '10' });
    await ingest(server.url, 30);
    await server.server.engine.pruner.runOnce();
    const streamId = server.store.streamId;

    // A polyfill's first connection can only carry the cursor in the query.
    const foreign = eventSource(`${server.url}/api/stream?lastEventId=zzzzzzzzzz:3`);
    await waitFor(() => foreign.named.get('reset')?.length === 1, { what: 'reset' });
    expect(foreign.named.get('reset')?.[0]).toMatchObject({ reason: 'foreign' } satisfies Partial<ResetEvent>);
    foreign.source.close();

    const reader = eventSource(`${server.url}/api/stream?lastEventId=${streamId}:5`);
    await waitFor(() => reader.seqs.length === 10, { what: 'the retained entries after the gap' });
    expect(reader.hellos[0]).toMatchObject({ stream: streamId, first: 21, last: 30 });
    expect(reader.named.get('gap')).toEqual([
      { after: `${streamId}:5`, resumeAt: `${streamId}:20`, missed: 15, fromSeq: 6, toSeq: 20, reason: 'retention' } satisfies GapEvent,
    ]);
    expect(reader.seqs).toEqual([21, 22, 23, 24, 25, 26, 27, 28, 29, 30]);

    await postStreamEnd(server.url, 'default', { exitCode: 0 });
    await waitFor(() => reader.named.get('close')?.length === 1, { what: 'end and close' });
    expect(reader.named.get('end')?.[0]).toMatchObject({ lastId: `${streamId}:30` } satisfies Partial<EndEvent>);
    expect(reader.named.get('close')?.[0]).toEqual({ reason: 'ended', retryable: false });
    reader.source.close();
  });
});

/** `curl -N` from `lastEventId`: its output parsed as it comes, and kept raw for framing checks. */
function curl(url: string, lastEventId: string) {
  const run = {
    raw: '',
    seqs: [] as number[],
    comments: 0,
    parser: undefined as unknown as SseParser,
    child: undefined as unknown as ChildProcess,
  };
  run.parser = new SseParser(
    {
      onEvent: (message) => {
        if (message.type === 'message') run.seqs.push((JSON.parse(message.data) as LogEntry).seq);
      },
      onComment: () => run.comments++,
    },
    lastEventId,
  );
  const args = ['-sN', '--max-time', '20', ...(lastEventId === '' ? [] : ['-H', `Last-Event-ID: ${lastEventId}`]), url];
  run.child = spawn('curl', args, { stdio: ['ignore', 'pipe', 'ignore'] });
  children.push(run.child);
  run.child.stdout?.on('data', (chunk: Buffer) => {
    run.raw += chunk.toString('utf8');
    run.parser.feed(chunk);
  });
  return run;
}

describe.skipIf(!CURL)('curl -N', () => {
  it('streams live, and a rerun with the Last-Event-ID it printed gets every missed seq once', async () => {
    const server = await start();
    const first = curl(`${server.url}/api/stream?from=start`, '');
    await waitFor(() => first.raw.includes('event: hello'), { what: 'hello through curl' });
    expect(first.raw).toMatch(/^event: hello\nretry: 50\ndata: .*\nid: \w+:0\n\n/);
    await ingest(server.url, 20);
    await waitFor(() => first.seqs.length === 20, { what: 'live lines through curl' });
    first.child.kill('SIGKILL');
    await ingest(server.url, 25);
    const second = curl(`${server.url}/api/stream`, first.parser.lastEventId);
    await waitFor(() => second.seqs.length === 25, { what: 'the missed lines after the rerun' });
    second.child.kill('SIGKILL');
    expect(checkSeqs([...first.seqs, ...second.seqs], 45)).toEqual(clean);
  });

  // Regression: heartbeats were `:\n\n`; clients that dispatch at every blank line
  // (@microsoft/fetch-event-source) called onmessage with empty data once per heartbeat.
  it('frames heartbeats so that no blank line ends an event without a field', async () => {
    const server = await start();
    await ingest(server.url, 2);
    const run = curl(`${server.url}/api/stream?from=start`, '');
    await waitFor(() => run.comments >= 3, { what: 'three heartbeats' });
    run.child.kill('SIGKILL');
    // What follows the last blank line ends no event (the trailing heartbeats): left out.
    const blocks = run.raw.split('\n\n').slice(0, -1);
    const withoutFields = blocks.filter((block) => !block.split('\n').some((line) => /^(data|id|event|retry):/.test(line)));
    expect(withoutFields).toEqual([]);
    expect(run.seqs).toEqual([1, 2]);
  });
});

/**
 * A raw reader as Python scripts write them: decode, then `str.splitlines()` (what requests'
 * `iter_lines(decode_unicode=True)` does), which also breaks at U+0085, U+2028 and U+2029. Prints the
 * JSON of every `data:` line until `end`.
 */
const PYTHON_READER = `
import json, sys, urllib.request
out, buf = [], ''
with urllib.request.urlopen(sys.argv[1], timeout=20) as response:
    while True:
        chunk = response.read1(65536)
        if not chunk:
            break
        buf += chunk.decode('utf-8')
        *lines, buf = buf.splitlines(True) or ['']
        for line in lines:
            line = line.rstrip('\\r\\n')
            if line.startswith('data: '):
                try:
                    out.append(json.loads(line[6:]))
                except ValueError:
                    out.append({'broken': line})
        if any('lastId' in event for event in out):
            break
print(json.dumps(out))
`;

describe.skipIf(!PYTHON)('a Python reader splitting at Unicode line breaks', () => {
  // Regression: JSON.stringify leaves U+0085, U+2028 and U+2029 raw in an entry's data line.
  it('parses every event, U+0085, U+2028 and U+2029 in messages, fields and the end reason included', async () => {
    const server = await start();
    const msgs = ['plain', 'line\u2028separator', 'paragraph\u2029separator', 'next\u0085line'];
    const body = msgs.map((msg) => JSON.stringify({ msg, tag: msg })).join('\n');
    expect((await postStreamLogs(server.url, 'py', body)).status).toBe(200);
    expect((await postStreamEnd(server.url, 'py', { exitCode: 0, reason: 'done\u2028here' })).status).toBe(200);
    const output = await new Promise<string>((resolve, reject) => {
      execFile('python3', ['-c', PYTHON_READER, `${server.url}/api/streams/py/stream?from=start`], { timeout: 30_000 }, (error, stdout) =>
        error ? reject(error) : resolve(stdout),
      );
    });
    const events = JSON.parse(output) as Record<string, unknown>[];
    expect(events.filter((event) => 'broken' in event)).toEqual([]);
    const entries = events.filter((event) => 'seq' in event) as unknown as LogEntry[];
    expect(entries.map((entry) => entry.msg)).toEqual(msgs);
    expect(entries.map((entry) => entry.fields?.tag)).toEqual(msgs);
    expect(events.find((event) => 'lastId' in event)).toMatchObject({ reason: 'done\u2028here' });
  });
});
