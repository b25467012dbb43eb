import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { type LingerLimits, lingerUntilUploaded } from './linger.js';

let server: Server | undefined;
afterEach(async () => {
  const open = server;
  server = undefined;
  if (open === undefined) return;
  open.closeAllConnections();
  await new Promise((resolve) => open.close(resolve));
});

/** A server that answers 413 before reading the body, then lingers with `limits`; resolves a connected client. */
async function earlyAnswer(limits: LingerLimits): Promise<{ socket: Socket; closed: Promise<unknown> }> {
  server = createServer((request, response) => {
    lingerUntilUploaded(request, limits);
    response.writeHead(413, { 'content-length': '2' }).end('no');
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const socket = connect((server.address() as { port: number }).port, '127.0.0.1');
  await once(socket, 'connect');
  socket.on('error', () => undefined);
  // Read (and drop) the answer: a socket with unread data never emits 'close'.
  socket.resume();
  socket.write('POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000000\r\n\r\n');
  return { socket, closed: new Promise((resolve) => socket.once('close', resolve)) };
}

describe('lingerUntilUploaded', () => {
  it('cuts off an upload that goes on past the byte cap', async () => {
    const { socket, closed } = await earlyAnswer({ maxMs: 60_000, idleMs: 60_000, maxBytes: 1024 * 1024 });
    const chunk = Buffer.alloc(64 * 1024);
    let written = 0;
    while (!socket.destroyed && written < 100_000_000) {
      if (!socket.write(chunk)) await Promise.race([new Promise((resolve) => socket.once('drain', resolve)), closed]);
      written += chunk.length;
    }
    await closed;
    expect(written).toBeLessThan(100_000_000);
  });

  it('cuts off an upload that pauses for longer than the idle limit', async () => {
    const { socket, closed } = await earlyAnswer({ maxMs: 60_000, idleMs: 100, maxBytes: 1024 * 1024 * 1024 });
    socket.write(Buffer.alloc(1000));
    await closed;
  });

  it("cuts off a request injected with Fastify's inject() without throwing from its timer", async () => {
    // Regression: the timer called socket.destroy() on inject()'s stand-in socket, which has none: an
    // uncaught TypeError 5 s after a 413 in any app tested with inject().
    const app = Fastify();
    app.addContentTypeParser('*', (_request, _payload, done) => done(null));
    app.post('/', (request, reply) => {
      lingerUntilUploaded(request.raw, { maxMs: 60_000, idleMs: 20, maxBytes: 1024 });
      return reply.code(413).send('no');
    });
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown): void => {
      uncaught.push(error);
    };
    process.on('uncaughtException', onUncaught);
    try {
      const answer = await app.inject({ method: 'POST', url: '/', payload: 'x'.repeat(100), headers: { 'content-type': 'text/plain' } });
      expect(answer.statusCode).toBe(413);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(uncaught).toEqual([]);
    } finally {
      process.off('uncaughtException', onUncaught);
      await app.close();
    }
  });

  it('keeps the connection once the whole body has arrived', async () => {
    server = createServer((request, response) => {
      lingerUntilUploaded(request, { maxMs: 60_000, idleMs: 60_000, maxBytes: 1024 * 1024 });
      response.writeHead(413, { 'content-length': '2' }).end('no');
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const socket = connect((server.address() as { port: number }).port, '127.0.0.1');
    await once(socket, 'connect');
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      text += chunk;
    });
    const body = 'x'.repeat(500_000);
    socket.write(`POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (text.split('HTTP/1.1 413').length === 3) resolve();
      };
      socket.on('data', check);
      socket.on('close', () => reject(new Error(`closed; got ${text}`)));
    });
    socket.destroy();
  });
});
