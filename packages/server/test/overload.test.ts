import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { createServer, type LivelogServer, resolveServerConfig, type ServerConfigInput } from '@livelog/server';
import { delay, openSse, type SseConnection, tempDir, waitFor } from '@livelog/test-utils';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';

/** A server whose own log lines are kept for assertions. */
interface LoggedServer {
  url: string;
  server: LivelogServer;
  lines: Record<string, unknown>[];
}

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function start(input: ServerConfigInput = {}): Promise<LoggedServer> {
  const dir = await tempDir('livelog-overload-');
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const config = resolveServerConfig({ port: 0, data: dir.path, ...input });
  const server = await createServer(config, { logger: pino({ level: 'info' }, sink) });
  const url = await server.listen();
  cleanups.push(() => dir.remove());
  cleanups.push(() => server.close());
  return { url, server, lines };
}

describe('refused readers', () => {
  it('are answered 503 and logged once per interval at warn, without a stack (regression: issue 11, item 9)', async () => {
    const { url, lines } = await start({ maxReaders: '1' });
    const hello: string[] = [];
    const reader: SseConnection = openSse(`${url}/api/stream`, {}, { onEvent: (event) => hello.push(event.type) });
    cleanups.push(async () => reader.close());
    await waitFor(() => hello.includes('hello'));
    for (let i = 0; i < 5; i++) {
      const refused = await fetch(`${url}/api/stream`);
      expect(refused.status).toBe(503);
      expect(await refused.json()).toMatchObject({ error: { code: 'LIVELOG_ERR_STREAM_TOO_MANY_READERS' } });
    }
    const about = lines.filter((line) => JSON.stringify(line).includes('LIVELOG_ERR_STREAM_TOO_MANY_READERS'));
    expect(about).toHaveLength(1);
    expect(about[0]).toMatchObject({ level: 40, code: 'LIVELOG_ERR_STREAM_TOO_MANY_READERS', refused: 1 });
    expect(about[0]?.err).toBeUndefined();
    expect(lines.filter((line) => (line.level as number) >= 50)).toEqual([]);
  });
});

/** An HTTP answer read off a raw socket. */
interface RawAnswer {
  status: number;
  headers: string;
  body: string;
}

/** Reads one answer (head and Content-Length body) from `socket`, which may have been paused. */
async function readAnswer(socket: Socket): Promise<RawAnswer> {
  let text = '';
  socket.setEncoding('utf8');
  const done = new Promise<RawAnswer>((resolve, reject) => {
    const check = (): void => {
      const end = text.indexOf('\r\n\r\n');
      if (end < 0) return;
      const headers = text.slice(0, end);
      const length = Number(/content-length: (\d+)/i.exec(headers)?.[1] ?? 0);
      if (text.length - end - 4 < length) return;
      resolve({ status: Number(headers.slice(9, 12)), headers, body: text.slice(end + 4, end + 4 + length) });
    };
    socket.on('data', (chunk: string) => {
      text += chunk;
      check();
    });
    socket.on('error', reject);
    socket.on('close', () => reject(new Error(`closed before a whole answer; got ${JSON.stringify(text.slice(0, 300))}`)));
  });
  socket.resume();
  return done;
}

/**
 * Uploads `total` bytes of body after `head`, in 256 KiB writes with a pause every 4 MiB (a slow
 * client), without reading anything: many clients read the answer only once their upload is done.
 */
async function slowUpload(socket: Socket, head: string, total: number, chunked: boolean): Promise<void> {
  let failure: Error | undefined;
  socket.on('error', (error) => {
    failure = error;
  });
  socket.pause();
  socket.write(head);
  const chunk = Buffer.alloc(256 * 1024, 'x');
  for (let sent = 0; sent < total && failure === undefined; sent += chunk.length) {
    const framed = chunked ? [Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')] : [chunk];
    let flushed = true;
    for (const part of framed) flushed = socket.write(part) && flushed;
    if (!flushed) await Promise.race([once(socket, 'drain'), once(socket, 'close')]);
    if (sent % (4 * 1024 * 1024) === 0) await delay(20);
  }
  if (chunked && failure === undefined) socket.write('0\r\n\r\n');
  if (failure !== undefined) throw failure;
}

describe('an upload over the body limit', () => {
  it.each([
    ['with Content-Length', false],
    ['chunked', true],
  ])(
    '%s: the client reads the 413 after uploading 64 MB slowly (lingering close; regression: issue 11, item 12)',
    async (_name, chunked) => {
      const { url, server } = await start({ bodyLimit: '1MiB' });
      const port = Number(new URL(url).port);
      const total = 64 * 1024 * 1024;
      const before = await server.engine.store.bounds();
      const socket = connect(port, '127.0.0.1');
      cleanups.push(async () => socket.destroy());
      await once(socket, 'connect');
      const framing = chunked ? 'Transfer-Encoding: chunked' : `Content-Length: ${total}`;
      await slowUpload(
        socket,
        `POST /api/logs HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: text/plain\r\n${framing}\r\n\r\n`,
        total,
        chunked,
      );
      const answer = await readAnswer(socket);
      expect(answer.status).toBe(413);
      expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'LIVELOG_ERR_INGEST_BODY_TOO_LARGE' } });
      expect(await server.engine.store.bounds()).toEqual(before);
    },
  );
});
