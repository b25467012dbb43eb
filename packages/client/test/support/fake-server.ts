import { createServer, type ServerResponse } from 'node:http';

/** One scripted answer of the fake server. */
export type FakeAnswer =
  | { status: number; retryAfter?: number; code?: string }
  | { events: { seq: number }[]; close?: { reason: string; retryable: boolean } }
  /** Exactly these bytes of event stream, then the connection ends (a cut wherever `raw` ends). */
  | { raw: string }
  /**
   * Like a livelog server: entries after the request's Last-Event-ID up to `last`, then stays open.
   * With `warnUpTo`, as a stream filtered to warn: entries up to it, then an id-only event for `last`.
   */
  | { serveUpTo: number; warnUpTo?: number };

/** A fake server: real HTTP on a real socket, answering from a script. */
export interface FakeServer {
  url: string;
  /** Requests received so far. */
  requests(): number;
  /** Last-Event-ID headers received, in order. */
  lastEventIds(): (string | undefined)[];
  /** Paths (with query) of the stream requests received, in order. */
  paths(): string[];
  close(): Promise<void>;
}

/**
 * Answers request n with `script[n]` (the last answer repeats). For the answers a real livelog server
 * does not give on demand: 429 with Retry-After, 503 with Retry-After, close events with a terminal reason.
 */
export async function startFakeServer(script: readonly FakeAnswer[]): Promise<FakeServer> {
  let count = 0;
  const ids: (string | undefined)[] = [];
  const paths: string[] = [];
  const open = new Set<ServerResponse>();
  const server = createServer((request, response) => {
    // `/api/stream` and a named stream's `/api/streams/{name}/stream`.
    if (!/^\/api\/(stream|streams\/[^/]+\/stream)(\?|$)/.test(request.url ?? '')) {
      // A browser's own requests (favicon) are not part of the script.
      response.writeHead(404).end();
      return;
    }
    const answer = script[Math.min(count, script.length - 1)] as FakeAnswer;
    count++;
    paths.push(request.url ?? '');
    const header = request.headers['last-event-id'];
    ids.push(typeof header === 'string' ? header : undefined);
    if ('status' in answer) {
      response.writeHead(answer.status, {
        'content-type': 'application/json',
        ...(answer.retryAfter === undefined ? {} : { 'retry-after': String(answer.retryAfter) }),
      });
      response.end(JSON.stringify({ error: { code: answer.code ?? 'LIVELOG_ERR_SHUTTING_DOWN', message: 'scripted answer' } }));
      return;
    }
    open.add(response);
    response.on('close', () => open.delete(response));
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const resumedAt = typeof header === 'string' ? Number(header.split(':')[1] ?? 0) : 0;
    if ('raw' in answer) {
      // A FIN some time after the bytes, not an RST: browsers discard body bytes their page has
      // not read yet when a response fails, and the scenario is "these bytes arrived, then the cut".
      response.write(answer.raw, () => setTimeout(() => response.socket?.end(), 100));
      return;
    }
    if ('serveUpTo' in answer) {
      const lastEntry = answer.warnUpTo ?? answer.serveUpTo;
      let text = fakeHello(resumedAt);
      for (let seq = resumedAt + 1; seq <= lastEntry; seq++) text += fakeEntry(seq, answer.warnUpTo === undefined ? 'info' : 'warn');
      if (lastEntry < answer.serveUpTo) text += `id: fake:${answer.serveUpTo}\n\n`;
      response.write(text);
      return;
    }
    let text = fakeHello(answer.events[0] === undefined ? resumedAt : answer.events[0].seq - 1);
    for (const { seq } of answer.events) text += fakeEntry(seq);
    if (answer.close === undefined) {
      // Stays open, like a live stream with nothing new to say.
      response.write(text);
      return;
    }
    text += `event: close\ndata: ${JSON.stringify(answer.close)}\n\n`;
    response.end(text);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('fake server has no port');
  return {
    url: `http://127.0.0.1:${address.port}`,
    requests: () => count,
    lastEventIds: () => [...ids],
    paths: () => [...paths],
    async close() {
      for (const response of open) response.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** The hello event of the fake stream `fake`, starting after `seq`. */
export function fakeHello(seq: number): string {
  return `event: hello\ndata: ${JSON.stringify({ stream: 'fake', first: 1, last: seq, heartbeatMs: 1000 })}\nid: fake:${seq}\n\n`;
}

/** The frame of fake entry `seq`. */
export function fakeEntry(seq: number, level = 'info'): string {
  const entry = { id: `fake:${seq}`, seq, time: 1_700_000_000_000 + seq, level, source: 'fake', msg: `fake ${seq}` };
  return `data: ${JSON.stringify(entry)}\nid: ${entry.id}\n\n`;
}
