import type { HistoryPage, IngestReply, LogEntry, StreamInfo, StreamList } from '@livelog/protocol';
import { delay, postStreamLogs, ResumingReader, requestJson, spawnServer, streamPath, tempDir, waitFor } from '@livelog/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const codeOf = (body: unknown): string | undefined => (body as { error?: { code?: string } })?.error?.code;

describe('streams API', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let server: Awaited<ReturnType<typeof spawnServer>>;

  beforeAll(async () => {
    dir = await tempDir();
    server = await spawnServer({ dataDir: dir.path, args: ['--log-level', 'warn', '--loki-stream-label', 'job'] });
  });
  afterAll(async () => {
    await server?.kill();
    await dir?.remove();
  });

  it('refuses names that are not stream names with 400 on every route, and creates nothing', async () => {
    const bad = ['Upper', '-lead', '.hidden', 'a%2Fb', 'sp%20ace', 'caf%C3%A9', 'a'.repeat(129), 'semi%3Bcolon', '%00nul', 'x%0Ay'];
    const routes: [string, (name: string) => string, unknown?][] = [
      ['POST', (name) => `/api/streams/${name}/logs`, '{"msg":"x"}\n'],
      ['GET', (name) => `/api/streams/${name}/logs`],
      ['GET', (name) => `/api/streams/${name}/stream`],
      ['GET', (name) => `/api/streams/${name}/sources`],
      ['GET', (name) => `/api/streams/${name}`],
      ['PUT', (name) => `/api/streams/${name}`, { labels: {} }],
      ['DELETE', (name) => `/api/streams/${name}`],
      ['POST', (name) => `/api/streams/${name}/end`, {}],
      ['POST', (name) => `/api/streams/${name}/v1/logs`, { resourceLogs: [] }],
    ];
    for (const name of bad) {
      for (const [method, path, body] of routes) {
        const headers: Record<string, string> =
          method === 'POST' && path(name).endsWith('/logs') && !path(name).includes('v1') ? { 'content-type': 'application/x-ndjson' } : {};
        const reply = await requestJson(server.url, method, path(name), body, headers);
        expect([reply.status, codeOf(reply.body)], `${method} ${path(name)}`).toEqual([400, 'LIVELOG_ERR_STREAM_BAD_NAME']);
      }
    }
    const list = (await requestJson(server.url, 'GET', '/api/streams?limit=1000')).body as StreamList;
    expect(list.streams.map((stream) => stream.name)).toEqual(['default']);
    // The longest valid name works.
    const longest = `a${'b'.repeat(127)}`;
    expect((await postStreamLogs(server.url, longest, '{"msg":"x"}\n')).status).toBe(200);
    expect((await requestJson(server.url, 'DELETE', streamPath(longest))).status).toBe(204);
  });

  it('answers reads of an unknown stream 404, and creates a stream on its first write', async () => {
    for (const path of ['/logs', '/stream', '/sources', '']) {
      const reply = await requestJson(server.url, 'GET', streamPath('never-written', path));
      expect([reply.status, codeOf(reply.body)], path).toEqual([404, 'LIVELOG_ERR_STREAM_NOT_FOUND']);
    }
    expect((await requestJson(server.url, 'DELETE', streamPath('never-written'))).status).toBe(404);
    // A refused first write leaves no stream behind.
    const refused = await postStreamLogs(server.url, 'first-write', '{"msg":"ok"}\nnot json\n');
    expect(refused.status).toBe(400);
    expect((await requestJson(server.url, 'GET', streamPath('first-write'))).status).toBe(404);
    const written = await postStreamLogs(server.url, 'first-write', '{"msg":"one"}\n{"msg":"two"}\n');
    expect(written.status).toBe(200);
    expect(written.body).toMatchObject({ accepted: 2, firstId: expect.stringMatching(/:1$/), lastId: expect.stringMatching(/:2$/) });
    const info = (await requestJson(server.url, 'GET', streamPath('first-write'))).body as StreamInfo;
    expect(info).toMatchObject({ name: 'first-write', state: 'open', first: 1, last: 2, entries: 2, readers: 0, labels: {} });
    const sources = await requestJson(server.url, 'GET', streamPath('first-write', '/sources'));
    expect(sources.body).toMatchObject({ sources: [{ name: 'default', entries: 2 }] });
    // The unnamed routes are the stream default, which always exists.
    const page = (await requestJson(server.url, 'GET', '/api/logs')).body as HistoryPage;
    expect(page.entries.some((entry) => entry.msg === 'one')).toBe(false);
  });

  it('sets labels and retention with PUT, and checks them', async () => {
    const put = await requestJson(server.url, 'PUT', streamPath('labelled'), {
      labels: { service: 'api', env: 'prod' },
      retention: { maxEntries: 3, maxAgeMs: '1d' },
    });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect(put.body).toMatchObject({
      name: 'labelled',
      labels: { service: 'api', env: 'prod' },
      retention: { maxEntries: 3, maxAgeMs: 86_400_000 },
    });
    for (const [body, code] of [
      [{ labels: { 'bad key': 'x' } }, 'LIVELOG_ERR_STREAM_BAD_LABELS'],
      [{ labels: { k: 1 } }, 'LIVELOG_ERR_STREAM_BAD_LABELS'],
      [{ labels: { k: 'v'.repeat(257) } }, 'LIVELOG_ERR_STREAM_BAD_LABELS'],
      [{ labels: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, 'v'])) }, 'LIVELOG_ERR_STREAM_BAD_LABELS'],
      [{ retention: { maxEntries: -1 } }, 'LIVELOG_ERR_BAD_REQUEST'],
      [{ retention: { forever: 1 } }, 'LIVELOG_ERR_BAD_REQUEST'],
      [{ other: 1 }, 'LIVELOG_ERR_BAD_REQUEST'],
      ['not json', 'LIVELOG_ERR_BAD_REQUEST'],
    ] as const) {
      const reply = await requestJson(server.url, 'PUT', streamPath('labelled'), body);
      expect([reply.status, codeOf(reply.body)], JSON.stringify(body)).toEqual([400, code]);
    }
    const info = (await requestJson(server.url, 'GET', streamPath('labelled'))).body as StreamInfo;
    expect(info.labels).toEqual({ service: 'api', env: 'prod' });
    // The per-stream retention applies: 3 entries kept of 10.
    expect(
      (await postStreamLogs(server.url, 'labelled', Array.from({ length: 10 }, (_, i) => JSON.stringify({ msg: `r${i}` })).join('\n')))
        .status,
    ).toBe(200);
    await waitFor(async () => ((await requestJson(server.url, 'GET', streamPath('labelled'))).body as StreamInfo).entries === 3, {
      timeoutMs: 15_000,
      what: 'retention of the stream to keep 3 entries',
    });
  });

  it('lists with prefix, label filter, order and keyset paging', async () => {
    const names = Array.from({ length: 25 }, (_, i) => `page-${String(i).padStart(2, '0')}`);
    for (const [i, name] of names.entries()) {
      expect(
        (await requestJson(server.url, 'PUT', streamPath(name), { labels: { env: i % 2 === 0 ? 'prod' : 'dev', idx: String(i) } })).status,
      ).toBe(200);
    }
    const collect = async (query: string): Promise<string[]> => {
      const seen: string[] = [];
      let after = '';
      for (let round = 0; round < 100; round++) {
        const reply = await requestJson(server.url, 'GET', `/api/streams?${query}${after ? `&after=${encodeURIComponent(after)}` : ''}`);
        expect(reply.status, JSON.stringify(reply.body)).toBe(200);
        const body = reply.body as StreamList;
        seen.push(...body.streams.map((stream) => stream.name));
        if (body.next === undefined) return seen;
        after = body.next;
      }
      throw new Error('paging does not end');
    };
    expect(await collect('prefix=page-&limit=7')).toEqual(names);
    expect(await collect('prefix=page-&label=env:prod&limit=4')).toEqual(names.filter((_, i) => i % 2 === 0));
    expect(await collect('prefix=page-&label=env=dev&label=idx:3')).toEqual(['page-03']);
    expect(await collect('prefix=page-1')).toEqual(names.slice(10, 20));
    // Most recent activity first: write to page-05, then page-17.
    await postStreamLogs(server.url, 'page-05', '{"msg":"x"}\n');
    await delay(5);
    await postStreamLogs(server.url, 'page-17', '{"msg":"x"}\n');
    const recent = await collect('prefix=page-&order=recent&limit=5');
    expect(recent.slice(0, 2)).toEqual(['page-17', 'page-05']);
    expect([...recent].sort()).toEqual(names);
    for (const query of ['limit=0', 'limit=1001', 'order=size', 'prefix=UP', 'label=novalue', 'label=bad%20key:v']) {
      const reply = await requestJson(server.url, 'GET', `/api/streams?${query}`);
      expect([reply.status, codeOf(reply.body)], query).toEqual([400, 'LIVELOG_ERR_QUERY_BAD_PARAM']);
    }
  });

  // Regression: order=recent paged by (activity, name) alone; a stream not listed yet that was written
  // between two pages moved ahead of the cursor and no page listed it.
  it('pages order=recent without skipping a stream written between pages', async () => {
    const names = Array.from({ length: 9 }, (_, i) => `moving-${i}`);
    for (const name of names) {
      expect((await postStreamLogs(server.url, name, '{"msg":"first"}\n')).status).toBe(200);
      await delay(3);
    }
    const page = async (after?: string): Promise<StreamList> => {
      const reply = await requestJson(
        server.url,
        'GET',
        `/api/streams?prefix=moving-&order=recent&limit=3${after === undefined ? '' : `&after=${encodeURIComponent(after)}`}`,
      );
      expect(reply.status, JSON.stringify(reply.body)).toBe(200);
      return reply.body as StreamList;
    };
    const first = await page();
    const listed = first.streams.map((stream) => stream.name);
    expect(listed).toEqual(['moving-8', 'moving-7', 'moving-6']);
    // The least recent, listed by no page yet, is written: it moves to the front.
    expect((await postStreamLogs(server.url, 'moving-0', '{"msg":"again"}\n')).status).toBe(200);
    for (let after = first.next; after !== undefined; ) {
      const next = await page(after);
      listed.push(...next.streams.map((stream) => stream.name));
      after = next.next;
    }
    expect(listed).toEqual(['moving-8', 'moving-7', 'moving-6', 'moving-5', 'moving-4', 'moving-3', 'moving-2', 'moving-1', 'moving-0']);
  });

  it('deletes a stream while it is read and written: readers get reset and close deleted, writes after it start a new stream', async () => {
    const name = 'doomed';
    expect((await postStreamLogs(server.url, name, '{"msg":"before"}\n')).status).toBe(200);
    const reader = new ResumingReader({ url: `${server.url}${streamPath(name, '/stream')}?from=start`, keepEntries: true }).start();
    await waitFor(() => reader.seqs.length === 1, { what: 'the reader to see the first entry' });
    const oldIdentity = (reader.entries[0] as LogEntry).id.split(':')[0];
    let writing = true;
    const outcomes: { status: number; body: unknown; at: 'before' | 'after' }[] = [];
    let deleted = false;
    const writer = (async () => {
      for (let i = 0; writing; i++) {
        const at = deleted ? 'after' : 'before';
        const reply = await postStreamLogs(server.url, name, `${JSON.stringify({ msg: `w${i}` })}\n`);
        outcomes.push({ status: reply.status, body: reply.body, at });
      }
    })();
    await waitFor(() => outcomes.length >= 20, { what: 'writes before the delete' });
    const removed = await requestJson(server.url, 'DELETE', streamPath(name));
    deleted = true;
    expect(removed.status).toBe(204);
    await waitFor(() => !reader.running, { what: 'the reader to stop on the delete' });
    await waitFor(() => outcomes.filter((outcome) => outcome.at === 'after').length >= 10, { what: 'writes after the delete' });
    writing = false;
    await writer;

    expect(reader.resets.map((reset) => reset.reason)).toEqual(['deleted']);
    expect(reader.terminal).toBe('deleted');
    // A write racing the delete is either refused (its stream went) or stored; nothing else.
    for (const outcome of outcomes) expect([200, 404], JSON.stringify(outcome)).toContain(outcome.status);
    const after = outcomes
      .filter((outcome) => outcome.at === 'after' && outcome.status === 200)
      .map((outcome) => outcome.body as IngestReply);
    expect(after.length).toBeGreaterThan(0);
    // The name is in use again, by a new stream: another identity, seqs from 1.
    const info = (await requestJson(server.url, 'GET', streamPath(name))).body as StreamInfo;
    expect(info.identity).not.toBe(oldIdentity);
    // Regression: a write sent after the 204 was acknowledged into the deleted stream, then purged.
    for (const reply of after) expect(reply.firstId.startsWith(`${info.identity}:`), JSON.stringify(reply)).toBe(true);
    const newOnes = after.filter((reply) => reply.firstId.startsWith(`${info.identity}:`));
    expect(newOnes.map((reply) => Number(reply.firstId.split(':')[1]))).toEqual(
      Array.from({ length: newOnes.length }, (_, i) => info.last - newOnes.length + i + 1),
    );
    const page = (await requestJson(server.url, 'GET', `${streamPath(name, '/logs')}?from=start&limit=1000`)).body as HistoryPage;
    expect(page.entries.every((entry) => entry.id.startsWith(`${info.identity}:`))).toBe(true);
    expect(page.entries.map((entry) => entry.seq)).toEqual(Array.from({ length: info.last }, (_, i) => i + 1));
  });

  it('takes OTLP per stream, and Loki pushes into the stream their job label names', async () => {
    const otlp = await requestJson(server.url, 'POST', streamPath('otel-svc', '/v1/logs'), {
      resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: 'from otel' } }] }] }],
    });
    expect(otlp.status, JSON.stringify(otlp.body)).toBe(200);
    const otelPage = (await requestJson(server.url, 'GET', `${streamPath('otel-svc', '/logs')}?from=start`)).body as HistoryPage;
    expect(otelPage.entries.map((entry) => entry.msg)).toEqual(['from otel']);

    const ns = `${Date.now()}000000`;
    const push = await requestJson(server.url, 'POST', '/loki/api/v1/push', {
      streams: [
        {
          stream: { job: 'CI Build', app: 'a' },
          values: [
            [ns, 'loki one'],
            [ns, 'loki two'],
          ],
        },
        { stream: { job: 'deploy' }, values: [[ns, 'loki three']] },
        { stream: { app: 'nojob' }, values: [[ns, 'loki default']] },
      ],
    });
    expect(push.status, JSON.stringify(push.body)).toBe(204);
    const read = async (name: string) =>
      ((await requestJson(server.url, 'GET', `${streamPath(name, '/logs')}?from=start`)).body as HistoryPage).entries.map(
        (entry) => entry.msg,
      );
    expect(await read('ci-build')).toEqual(['loki one', 'loki two']);
    expect(await read('deploy')).toEqual(['loki three']);
    expect(await read('default')).toContain('loki default');

    // A push touching an ended stream is refused whole: nothing stored in any stream.
    expect((await requestJson(server.url, 'POST', streamPath('deploy', '/end'), {})).status).toBe(200);
    const refused = await requestJson(server.url, 'POST', '/loki/api/v1/push', {
      streams: [
        { stream: { job: 'ci-build' }, values: [[ns, 'not stored']] },
        { stream: { job: 'deploy' }, values: [[ns, 'not stored either']] },
      ],
    });
    expect([refused.status, codeOf(refused.body)]).toEqual([409, 'LIVELOG_ERR_STREAM_ENDED']);
    expect(await read('ci-build')).toEqual(['loki one', 'loki two']);
  });

  it('shows streams by state and live brokers in /metrics, with no label per stream', async () => {
    const reply = await fetch(`${server.url}/metrics`);
    const text = await reply.text();
    expect(text).toMatch(/^livelog_streams\{state="open"\} \d+$/m);
    expect(text).toMatch(/^livelog_streams\{state="ended"\} [1-9]\d*$/m);
    expect(text).toMatch(/^livelog_stream_brokers \d+$/m);
    expect(text).not.toMatch(/(stream|name)="(page|first-write|doomed)/);
  });
  // Last: it deletes `default`, which the tests above read.
  it('keeps default listed and /metrics answering after the stream default is deleted, with the window of the new default', async () => {
    expect((await postStreamLogs(server.url, 'default', '{"msg":"before"}\n{"msg":"before 2"}\n')).status).toBe(200);
    expect((await requestJson(server.url, 'DELETE', streamPath('default'))).status).toBe(204);
    // `default` always exists: listed at once, empty, before anything is written to it again.
    const listed = (await requestJson(server.url, 'GET', '/api/streams?prefix=default')).body as StreamList;
    expect(listed.streams.map((stream) => [stream.name, stream.entries])).toEqual([['default', 0]]);
    const afterDelete = await fetch(`${server.url}/metrics`);
    expect(afterDelete.status).toBe(200);
    expect(await afterDelete.text()).toMatch(/^livelog_store_last_seq 0$/m);
    expect((await postStreamLogs(server.url, 'default', '{"msg":"after"}\n')).status).toBe(200);
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(text).toMatch(/^livelog_store_last_seq 1$/m);
  });
});
