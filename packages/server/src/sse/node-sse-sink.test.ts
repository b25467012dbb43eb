import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { NodeSseSink } from './node-sse-sink.js';

/**
 * Heartbeats bypass ServerResponse (a pre-framed chunk straight to the socket): the bytes on the wire
 * must still be a valid body, in the order written, whatever was written around them.
 */
describe('NodeSseSink heartbeat', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
    server = undefined;
  });

  /** A server whose one response runs `script` on a fresh sink, then ends. */
  async function serve(script: (sink: NodeSseSink, response: ServerResponse) => Promise<void> | void): Promise<number> {
    const listening = createServer((req: IncomingMessage, res: ServerResponse) => {
      const sink = new NodeSseSink(req, res);
      sink.open();
      void Promise.resolve(script(sink, res)).then(() => sink.end());
    });
    server = listening;
    await new Promise<void>((resolve) => listening.listen(0, '127.0.0.1', resolve));
    return (listening.address() as AddressInfo).port;
  }

  /** The body as Node's HTTP/1.1 client decodes it: a malformed chunk fails the request. */
  function body11(port: number): Promise<{ text: string; chunked: boolean }> {
    return new Promise((resolve, reject) => {
      request({ port, host: '127.0.0.1', path: '/' }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (part: string) => {
          text += part;
        });
        res.on('end', () => resolve({ text, chunked: res.headers['transfer-encoding'] === 'chunked' }));
        res.on('error', reject);
      })
        .on('error', reject)
        .end();
    });
  }

  it('frames heartbeats as chunks between writes in the same turn and across turns (HTTP/1.1)', async () => {
    const port = await serve(async (sink) => {
      sink.write('data: a\n\n');
      sink.heartbeat(); // same turn: the response's write is still corked in the socket
      sink.write(Buffer.from('data: b\n\n'));
      await new Promise((resolve) => setImmediate(resolve));
      sink.heartbeat(); // alone in its turn
      await new Promise((resolve) => setImmediate(resolve));
      sink.write('data: c\n\n');
    });
    const { text, chunked } = await body11(port);
    expect(chunked).toBe(true);
    expect(text).toBe('data: a\n\n:\ndata: b\n\n:\ndata: c\n\n');
  });

  it('writes the heartbeat of an idle response to the descriptor, a valid chunk between the others (HTTP/1.1)', async () => {
    let counts: number[] = [];
    const port = await serve(async (sink, response) => {
      const socket = response.socket;
      if (socket === null) throw new Error('no socket');
      await new Promise<void>((resolve) => response.write('data: a\n\n', () => resolve()));
      const before = socket.bytesWritten;
      sink.heartbeat();
      sink.heartbeat();
      // Not through the socket (see writeWhenIdle): its count did not move.
      counts = [before, socket.bytesWritten];
      sink.write('data: b\n\n');
    });
    const { text, chunked } = await body11(port);
    expect(chunked).toBe(true);
    expect(text).toBe('data: a\n\n:\n:\ndata: b\n\n');
    expect(counts[1]).toBe(counts[0]);
  });

  it('writes bare heartbeats to an HTTP/1.0 reader, whose body is not chunked', async () => {
    const port = await serve((sink) => {
      sink.write('data: a\n\n');
      sink.heartbeat();
      sink.write('data: b\n\n');
    });
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => socket.write('GET / HTTP/1.0\r\nHost: x\r\n\r\n'));
      let text = '';
      socket.setEncoding('latin1');
      socket.on('data', (part: string) => {
        text += part;
      });
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    const [head, body] = raw.split('\r\n\r\n', 2);
    expect(head).not.toMatch(/transfer-encoding/i);
    expect(body).toBe('data: a\n\n:\ndata: b\n\n');
  });

  it('ignores a heartbeat once the connection is gone', async () => {
    let outcome: { closed: boolean; threw: boolean } | undefined;
    const port = await serve(async (sink, response) => {
      response.destroy();
      await new Promise((resolve) => setImmediate(resolve));
      let threw = false;
      try {
        sink.heartbeat();
      } catch {
        threw = true;
      }
      outcome = { closed: sink.closed, threw };
    });
    await body11(port).catch(() => undefined);
    await new Promise((resolve) => setImmediate(resolve));
    expect(outcome).toEqual({ closed: true, threw: false });
  });
});
