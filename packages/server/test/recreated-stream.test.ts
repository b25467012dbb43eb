import type { HelloEvent, LogEntry, ResetEvent } from '@livelog/protocol';
import { ChaosProxy, ndjson, postStreamLogs, requestJson, startServer, streamPath, type TestServer, waitFor } from '@livelog/test-utils';
import { EventSource } from 'eventsource';
import { afterEach, describe, expect, it } from 'vitest';

/**
 * A reader that is away while its stream is deleted and written again under the same name comes back
 * with an id of the old stream. Regression: the server answered `reset` and then live only, so the
 * lines the new stream got before the reader came back were lost to it, with no count. Read here by
 * the `eventsource` npm package, which, like a browser, resends its URL with `Last-Event-ID` and so
 * cannot ask for anything else after a reset.
 */
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function writeLines(server: TestServer, name: string, count: number, prefix: string): Promise<void> {
  const reply = await postStreamLogs(server.url, name, ndjson(count, prefix));
  expect(reply.status).toBe(200);
}

describe('a stream deleted and written again while its reader is away', () => {
  it('gets reset, then every line of the new stream once and in order', async () => {
    const server = await startServer({ retry: '20ms' });
    cleanups.push(() => server.close());
    const proxy = await ChaosProxy.start({ port: Number(new URL(server.url).port) });
    cleanups.push(() => proxy.close());
    await writeLines(server, 'job', 3, 'old');

    const source = new EventSource(proxy.url(streamPath('job', '/stream')));
    cleanups.push(() => source.close());
    const msgs: string[] = [];
    const ids: string[] = [];
    const hellos: HelloEvent[] = [];
    const resets: ResetEvent[] = [];
    source.onmessage = (message) => {
      const entry = JSON.parse(message.data) as LogEntry;
      msgs.push(entry.msg);
      ids.push(message.lastEventId);
    };
    source.addEventListener('hello', (message) => hellos.push(JSON.parse(message.data) as HelloEvent));
    source.addEventListener('reset', (message) => resets.push(JSON.parse(message.data) as ResetEvent));
    await waitFor(() => hellos.length === 1, { what: 'hello' });
    await writeLines(server, 'job', 2, 'old live');
    await waitFor(() => msgs.length === 2, { what: 'the live lines of the old stream' });

    proxy.refuse(true);
    proxy.cutAll();
    expect((await requestJson(server.url, 'DELETE', streamPath('job'))).status).toBe(204);
    await writeLines(server, 'job', 4, 'new');
    proxy.refuse(false);
    await waitFor(() => hellos.length === 2, { what: 'the reconnect' });
    await writeLines(server, 'job', 1, 'new live');
    await waitFor(() => msgs.includes('new live 1'), { what: 'the live line of the new stream' });

    expect(resets.map((reset) => reset.reason)).toEqual(['foreign']);
    const identity = (hellos[1] as HelloEvent).stream;
    expect(identity).not.toBe((hellos[0] as HelloEvent).stream);
    expect(msgs).toEqual(['old live 1', 'old live 2', 'new 1', 'new 2', 'new 3', 'new 4', 'new live 1']);
    expect(ids.slice(2)).toEqual([1, 2, 3, 4, 5].map((seq) => `${identity}:${seq}`));
  });
});
