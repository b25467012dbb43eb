import { once } from 'node:events';
import { createServer, type Socket, connect as tcpConnect } from 'node:net';
import { createServer as createTlsServer, type TLSSocket, connect as tlsConnect } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { writeWhenIdle } from './idle-socket-write.js';

/**
 * Real loopback sockets: what the peer reads must be every byte in the order written, whichever way
 * each write went (the descriptor, or the socket's queue). `bytesWritten` tells the ways apart: a
 * descriptor write does not count there.
 */
describe('writeWhenIdle', () => {
  const cleanup: (() => void)[] = [];
  afterEach(() => {
    for (const close of cleanup.splice(0)) close();
  });

  /** A connected pair: `sender` is the accepted end; `received()` is all the peer read until it saw `end`. */
  async function pair(): Promise<{ sender: Socket; peer: Socket; received: () => Promise<Buffer> }> {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const accepted = once(server, 'connection') as Promise<[Socket]>;
    const peer = tcpConnect((server.address() as { port: number }).port, '127.0.0.1');
    const [sender] = await accepted;
    cleanup.push(() => {
      peer.destroy();
      sender.destroy();
      server.close();
    });
    const parts: Buffer[] = [];
    peer.on('data', (part: Buffer) => parts.push(part));
    const ended = once(peer, 'end').then(() => Buffer.concat(parts));
    return { sender, peer, received: () => ended };
  }

  /** Writes `text` and waits until the socket handed it to the kernel (its write callback). */
  function written(socket: Socket, text: string): Promise<void> {
    return new Promise((resolve, reject) => socket.write(text, (error) => (error ? reject(error) : resolve())));
  }

  it('writes to an idle socket with one write on its descriptor, after what went before', async () => {
    const { sender, received } = await pair();
    await written(sender, 'data: a\n\n');
    const counted = sender.bytesWritten;
    writeWhenIdle(sender, Buffer.from(':\n'));
    // Not through the socket: its count and its queue did not move.
    expect(sender.bytesWritten).toBe(counted);
    expect(sender.writableLength).toBe(0);
    sender.end('data: b\n\n');
    expect((await received()).toString()).toBe('data: a\n\n:\ndata: b\n\n');
  });

  it('queues behind bytes the socket still holds (a peer that does not read)', async () => {
    const { sender, peer, received } = await pair();
    peer.pause();
    const big = Buffer.alloc(16 * 1024 * 1024, 'x');
    // More than the kernel's buffers take: the rest waits in the socket.
    expect(sender.write(big)).toBe(false);
    const counted = sender.bytesWritten;
    writeWhenIdle(sender, Buffer.from(':\n'));
    expect(sender.bytesWritten).toBe(counted + 2);
    sender.end('data: b\n\n');
    peer.resume();
    const all = await received();
    expect(all.length).toBe(big.length + 2 + 9);
    expect(all.subarray(0, big.length).equals(big)).toBe(true);
    expect(all.subarray(big.length).toString()).toBe(':\ndata: b\n\n');
  });

  it('hands the socket what a full kernel buffer did not take, in order (EAGAIN and partial writes)', async () => {
    const { sender, peer, received } = await pair();
    peer.pause();
    const chunks: Buffer[] = [];
    // Descriptor writes of 64 KiB until the kernel's buffers are full and one falls back to the socket.
    for (let i = 0; sender.writableLength === 0; i++) {
      const chunk = Buffer.alloc(64 * 1024, i % 251);
      chunks.push(chunk);
      writeWhenIdle(sender, chunk);
      expect(chunks.length).toBeLessThan(10_000);
    }
    // Some went around the socket (the kernel took them directly), the last at least partly through it.
    expect(sender.bytesWritten).toBeGreaterThan(0);
    expect(sender.bytesWritten).toBeLessThan(64 * 1024 * chunks.length);
    const next = Buffer.from('data: after\n\n');
    writeWhenIdle(sender, next);
    chunks.push(next);
    sender.end();
    peer.resume();
    expect((await received()).equals(Buffer.concat(chunks))).toBe(true);
  });

  it('writes through a TLS socket, never to the descriptor under it', async () => {
    const key = Buffer.alloc(32, 7);
    const tls = { ciphers: 'PSK-AES128-GCM-SHA256', maxVersion: 'TLSv1.2' as const };
    const server = createTlsServer({ ...tls, pskCallback: () => key });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const accepted = once(server, 'secureConnection') as Promise<[TLSSocket]>;
    const peer = tlsConnect({
      ...tls,
      port: (server.address() as { port: number }).port,
      host: '127.0.0.1',
      checkServerIdentity: () => undefined,
      pskCallback: () => ({ psk: key, identity: 'test' }),
    });
    const [sender] = await accepted;
    cleanup.push(() => {
      peer.destroy();
      sender.destroy();
      server.close();
    });
    const parts: Buffer[] = [];
    peer.on('data', (part: Buffer) => parts.push(part));
    const ended = once(peer, 'end');
    await written(sender, 'data: a\n\n');
    const counted = sender.bytesWritten;
    writeWhenIdle(sender, Buffer.from(':\n'));
    expect(sender.bytesWritten).toBeGreaterThan(counted);
    sender.end('data: b\n\n');
    await ended;
    expect(Buffer.concat(parts).toString()).toBe('data: a\n\n:\ndata: b\n\n');
  });
});
