import { once } from 'node:events';
import { createServer, type Socket, connect as tcpConnect } from 'node:net';
import { waitFor } from '@livelog/test-utils';
import { describe, expect, it } from 'vitest';
import { canonicalAddress, TcpSendQueues } from './tcp-send-queues.js';

/**
 * Real sockets, the real kernel tables: a peer that does not read leaves bytes in the sender's send
 * queue, and reading them empties it. IPv4, IPv4 on a dual-stack listener (an IPv4-mapped address in
 * `tcp6`) and IPv6 loopback.
 */
async function sendQueueOf(listenHost: string, connectHost: string): Promise<number> {
  const server = createServer();
  server.listen(0, listenHost);
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  const accepted = once(server, 'connection') as Promise<[Socket]>;
  const client = tcpConnect(port, connectHost);
  client.pause();
  const [socket] = await accepted;
  const queues = new TcpSendQueues();
  try {
    // More than the peer's receive window: the rest stays in the sender's queue while the peer reads nothing.
    socket.write(Buffer.alloc(8 * 1024 * 1024));
    const full = await waitFor(() => ((queues.queued(socket) ?? 0) > 0 ? (queues.queued(socket) as number) : undefined), {
      timeoutMs: 10_000,
      what: 'a send queue',
    });
    client.resume();
    await waitFor(() => queues.queued(socket) === 0, { timeoutMs: 10_000, what: 'the queue read' });
    return full;
  } finally {
    client.destroy();
    socket.destroy();
    server.close();
  }
}

describe.runIf(process.platform === 'linux')('TcpSendQueues', () => {
  it('sees the send queue of an IPv4 socket fill and empty', async () => {
    expect(await sendQueueOf('127.0.0.1', '127.0.0.1')).toBeGreaterThan(0);
  });

  it('sees it for IPv4 on a dual-stack listener and for IPv6', async () => {
    expect(await sendQueueOf('::', '127.0.0.1')).toBeGreaterThan(0);
    expect(await sendQueueOf('::1', '::1')).toBeGreaterThan(0);
  });
});

describe('canonicalAddress', () => {
  it('writes addresses as the kernel tables are read', () => {
    expect(canonicalAddress('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(canonicalAddress('::1')).toBe('0:0:0:0:0:0:0:1');
    expect(canonicalAddress('fe80::A:0001%eth0')).toBe('fe80:0:0:0:0:0:a:1');
  });
});
