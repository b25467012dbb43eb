import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, request as httpsRequest } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { NodeSseSink } from './node-sse-sink.js';

/**
 * Entry frames bypass ServerResponse (one writev on the socket's descriptor, framed as a chunk by the
 * sink): whatever the kernel takes, whatever waits in the socket and whatever the response writes
 * itself, the wire must carry a valid body with every byte once, in the order written. A descriptor
 * write does not count in the socket's `bytesWritten`, which tells the two ways apart.
 */
describe('NodeSseSink entry frames', () => {
  const servers: Server[] = [];
  const sockets: Socket[] = [];
  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
  });

  type Script = (sink: NodeSseSink, response: ServerResponse) => Promise<void> | void;

  /** A server whose one response runs `script` on a fresh sink, then ends. */
  async function serve(script: Script, server: Server = createServer()): Promise<number> {
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      const sink = new NodeSseSink(req, res);
      sink.open();
      void Promise.resolve(script(sink, res)).then(() => sink.end());
    });
    servers.push(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return (server.address() as AddressInfo).port;
  }

  /** The body as Node's HTTP/1.1 client decodes it: a malformed chunk fails the request. */
  function body11(port: number): Promise<{ text: string; chunked: boolean }> {
    return new Promise((resolve, reject) => {
      request({ port, host: '127.0.0.1', path: '/' }, (res) => {
        let text = '';
        res.setEncoding('latin1');
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

  /**
   * A raw connection sending `head`; `received()` is every byte read until the server closed it or,
   * chunked, sent the last chunk (the connection stays open: SSE responses ask for keep-alive).
   */
  function rawClient(port: number, head: string): { socket: Socket; received: () => Promise<Buffer> } {
    const socket = connect(port, '127.0.0.1', () => socket.write(head));
    sockets.push(socket);
    const parts: Buffer[] = [];
    const ended = new Promise<Buffer>((resolve) => {
      let tail = '';
      socket.on('data', (part: Buffer) => {
        parts.push(part);
        tail = (tail + part.toString('latin1')).slice(-7);
        if (tail === '\r\n0\r\n\r\n') resolve(Buffer.concat(parts));
      });
      socket.on('end', () => resolve(Buffer.concat(parts)));
    });
    return { socket, received: () => ended };
  }

  /** The body of a raw HTTP/1.1 chunked response, decoded strictly: every chunk's size and CRLFs checked. */
  function dechunk(raw: Buffer): Buffer {
    let at = raw.indexOf('\r\n\r\n') + 4;
    expect(raw.subarray(0, at).toString('latin1')).toMatch(/transfer-encoding: chunked/i);
    const parts: Buffer[] = [];
    for (;;) {
      const lineEnd = raw.indexOf('\r\n', at);
      const size = Number.parseInt(raw.subarray(at, lineEnd).toString('latin1'), 16);
      expect(raw.subarray(at, lineEnd).toString('latin1')).toMatch(/^[0-9a-f]+$/);
      at = lineEnd + 2;
      if (size === 0) break;
      parts.push(raw.subarray(at, at + size));
      expect(raw.subarray(at + size, at + size + 2).toString('latin1')).toBe('\r\n');
      at += size + 2;
    }
    expect(raw.subarray(at).toString('latin1')).toBe('\r\n');
    return Buffer.concat(parts);
  }

  /** Twice what loopback TCP may buffer for a reader that has not read yet, and at least 16 MB. */
  function bigFrame(): number {
    const max = (file: string, field: number): number => {
      try {
        return Number(readFileSync(file, 'latin1').trim().split(/\s+/)[field]) || 0;
      } catch {
        return 0;
      }
    };
    const buffers = max('/proc/sys/net/ipv4/tcp_wmem', 2) + max('/proc/sys/net/ipv4/tcp_rmem', 1);
    return Math.max(16 * 1024 * 1024, 2 * buffers);
  }

  /** `bytes` bytes of a frame numbered `n`: distinct content, so a lost, repeated or moved byte shows. */
  function frame(n: number, bytes: number): Buffer {
    const head = `data: ${n} `;
    const fill = String.fromCharCode(97 + (n % 26)).repeat(bytes - head.length - 2);
    return Buffer.from(`${head}${fill}\n\n`, 'latin1');
  }

  it('writes the frames of an idle response to the descriptor, valid chunks among the response’s own writes (HTTP/1.1)', async () => {
    let counts: number[] = [];
    const port = await serve(async (sink, response) => {
      const socket = response.socket as Socket;
      await new Promise<void>((resolve) => response.write('data: a\n\n', () => resolve()));
      const before = socket.bytesWritten;
      expect(sink.write(Buffer.from('data: b\n\n'))).toBe(true);
      sink.heartbeat();
      expect(sink.write(Buffer.from('data: c\n\n'))).toBe(true);
      counts = [before, socket.bytesWritten];
      sink.write('data: d\n\n'); // a string: the response's path, corked until the next tick
      sink.write(Buffer.from('data: e\n\n')); // behind it, so through the response too
      sink.heartbeat();
      await new Promise((resolve) => setImmediate(resolve));
      sink.write(Buffer.from('data: f\n\n'));
    });
    const { text, chunked } = await body11(port);
    expect(chunked).toBe(true);
    expect(text).toBe('data: a\n\ndata: b\n\n:\ndata: c\n\ndata: d\n\ndata: e\n\n:\ndata: f\n\n');
    // Not through the socket (see writevWhenIdle): its count did not move.
    expect(counts[1]).toBe(counts[0]);
  });

  it('hands the socket what a full kernel did not take, in order, and drains (a reader that stops reading)', async () => {
    const written: Buffer[] = [];
    let resumeReader = (): void => undefined;
    const seen: { direct: number; rooms: boolean[] } = { direct: 0, rooms: [] };
    const port = await serve(async (sink, response) => {
      const socket = response.socket as Socket;
      const write = (part: Buffer | string): boolean => {
        written.push(Buffer.from(part));
        return sink.write(part);
      };
      const drained = (): Promise<void> => new Promise<void>((resolve) => sink.onceDrain(resolve));
      // One frame larger than the kernel's buffers for a reader that never read (the send buffer at its
      // largest, the receive buffer at its start: it grows only as the reader reads): the descriptor
      // takes part of it, the socket the rest, and its drain alone says when there is room.
      seen.rooms.push(write(frame(0, bigFrame())));
      const rest = socket.writableLength;
      let drain = drained();
      // A heartbeat behind the rest: to the socket too (see writeWhenIdle), not the response.
      sink.heartbeat();
      written.push(Buffer.from(':\n'));
      resumeReader();
      await drain;
      seen.direct = written.reduce((sum, part) => sum + part.length, 0) - rest;
      // Again, with the response's own writes queued behind any rest this time (the reader reads now,
      // and its receive buffer may have grown to take the whole frame).
      const room = write(frame(1, bigFrame()));
      drain = room ? Promise.resolve() : drained();
      write('data: string\n\n');
      write(frame(2, 1000));
      sink.heartbeat();
      written.push(Buffer.from(':\n'));
      await drain;
      // Room again: each frame goes to the descriptor once the socket has handed the kernel all it held.
      for (let n = 3; n < 23; n++) {
        while (socket.writableLength !== 0) await new Promise((resolve) => setImmediate(resolve));
        write(frame(n, 64 * 1024));
      }
    });
    const { socket, received } = rawClient(port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    socket.pause();
    resumeReader = () => socket.resume();
    const body = dechunk(await received());
    expect(seen.rooms).toEqual([false]);
    // Part of the first frame went around the socket (fails where every write goes through the response).
    expect(seen.direct).toBeGreaterThan(0);
    expect(body.length).toBe(written.reduce((sum, part) => sum + part.length, 0));
    expect(body.equals(Buffer.concat(written))).toBe(true);
  });

  it('writes bare frames to an HTTP/1.0 reader, whose body is not chunked', async () => {
    let counts: number[] = [];
    const port = await serve(async (sink, response) => {
      const socket = response.socket as Socket;
      await new Promise<void>((resolve) => response.write('data: a\n\n', () => resolve()));
      const before = socket.bytesWritten;
      sink.write(Buffer.from('data: b\n\n'));
      sink.heartbeat();
      sink.write(Buffer.from('data: c\n\n'));
      counts = [before, socket.bytesWritten];
      sink.write('data: d\n\n');
    });
    const raw = (await rawClient(port, 'GET / HTTP/1.0\r\nHost: x\r\n\r\n').received()).toString('latin1');
    const [head, body] = raw.split('\r\n\r\n', 2);
    expect(head).not.toMatch(/transfer-encoding/i);
    expect(body).toBe('data: a\n\ndata: b\n\n:\ndata: c\n\ndata: d\n\n');
    expect(counts[1]).toBe(counts[0]);
  });

  it('writes through the response of a TLS connection, never to the descriptor under it', async () => {
    const key = Buffer.alloc(32, 7);
    const tls = { ciphers: 'PSK-AES128-GCM-SHA256', maxVersion: 'TLSv1.2' as const };
    let counts: number[] = [];
    const port = await serve(
      async (sink, response) => {
        const socket = response.socket as Socket;
        await new Promise<void>((resolve) => response.write('data: a\n\n', () => resolve()));
        const before = socket.bytesWritten;
        sink.write(Buffer.from('data: b\n\n'));
        sink.heartbeat();
        counts = [before, socket.bytesWritten];
        sink.write(Buffer.from('data: c\n\n'));
      },
      createHttpsServer({ ...tls, pskCallback: () => key }),
    );
    const text = await new Promise<string>((resolve, reject) => {
      // pskCallback reaches tls.connect, though https' request options do not list it.
      const psk = () => ({ psk: key, identity: 'test' });
      const options = { ...tls, port, host: '127.0.0.1', path: '/', checkServerIdentity: () => undefined, pskCallback: psk };
      httpsRequest(options, (res) => {
        let body = '';
        res.setEncoding('latin1');
        res.on('data', (part: string) => {
          body += part;
        });
        res.on('end', () => resolve(body));
        res.on('error', reject);
      })
        .on('error', reject)
        .end();
    });
    expect(text).toBe('data: a\n\ndata: b\n\n:\ndata: c\n\n');
    expect(counts[1]).toBeGreaterThan(counts[0] as number);
  });
});
