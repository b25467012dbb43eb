import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import { type IngestLimits, LivelogError, type LogDatabase } from '@livelog/core';
import { DEFAULT_STREAM } from '@livelog/protocol';
import type { FastifyBaseLogger } from 'fastify';
import type { Registry } from 'prom-client';
import { RefusalLog } from '../../refusal-log.js';
import { countInputLines } from '../input-metrics.js';
import { formatSyslogAddress, type SyslogAddress } from './syslog-address.js';
import { SyslogBatcher, type SyslogBatcherContext } from './syslog-batcher.js';
import { SyslogFramer } from './syslog-framer.js';

/** What the syslog input needs of the server. */
export interface SyslogInputOptions {
  addresses: readonly SyslogAddress[];
  database: LogDatabase;
  limits: IngestLimits;
  /** The server's ingest budget (`--ingest-buffer`), shared with HTTP ingest. */
  budget: { readonly limit: number; take(bytes: number): void; give(bytes: number): void };
  registry: Registry;
  /** Counts stored entries and bytes with the server's ingest metrics. */
  ingested(entries: number, bytes: number): void;
  disk: { committed(): void; failed(error: unknown): void };
  log: FastifyBaseLogger;
  /** The livelog stream every message goes to; undefined: `default`. */
  stream?: string;
  /** How long a closing server goes on reading a TCP peer after telling it so (FIN). Defaults to 5 s. */
  closeGraceMs?: number;
}

/** Messages a UDP socket may hold unstored before more are dropped (UDP has no way to slow a sender). */
const UDP_MAX_PENDING = 100_000;

/**
 * `--syslog tcp://…` and `udp://…`: RFC 5424 and RFC 3164 messages into the store through the same
 * mapping limits and append as every other input.
 *
 * TCP: a connection is read only while its batch is small and the ingest budget has room; otherwise
 * it is paused, TCP's window fills and the sender blocks (rsyslog and syslog-ng queue meanwhile).
 * Nothing received is dropped. Closing, the server sends FIN first and keeps reading: rsyslog checks
 * its connection before each send and reconnects elsewhere, so what it sent meanwhile still arrives.
 * UDP: each datagram is one message; what the kernel drops, or what arrives while 100,000 messages
 * wait for the store, is lost, as with any UDP syslog receiver, and counted as rejected.
 */
export class SyslogInput {
  readonly #options: SyslogInputOptions;
  readonly #refusals: RefusalLog;
  readonly #servers: Server[] = [];
  readonly #udp: UdpSocket[] = [];
  readonly #connections = new Map<Socket, SyslogBatcher>();
  readonly #udpBatchers: SyslogBatcher[] = [];
  #closing = false;

  constructor(options: SyslogInputOptions) {
    this.#options = options;
    this.#refusals = new RefusalLog(options.log);
  }

  /** Binds every address; resolves with the addresses bound (port 0 replaced by the port chosen). */
  async listen(): Promise<SyslogAddress[]> {
    const bound: SyslogAddress[] = [];
    for (const address of this.#options.addresses) {
      bound.push(address.transport === 'tcp' ? await this.#listenTcp(address) : await this.#listenUdp(address));
      this.#options.log.info(`syslog: listening on ${formatSyslogAddress(bound[bound.length - 1] as SyslogAddress)}`);
    }
    return bound;
  }

  /** Stops listening, lets connected peers finish (see the class), and stores what was received. */
  async close(): Promise<void> {
    this.#closing = true;
    for (const server of this.#servers) server.close();
    for (const socket of this.#udp) socket.close();
    const grace = this.#options.closeGraceMs ?? 5_000;
    await Promise.all(
      [...this.#connections.keys()].map(
        (socket) =>
          new Promise<void>((resolve) => {
            if (socket.destroyed) return resolve();
            const timer = setTimeout(() => socket.destroy(), grace);
            socket.once('close', () => {
              clearTimeout(timer);
              resolve();
            });
            socket.end();
          }),
      ),
    );
    const batchers = [...this.#connections.values(), ...this.#udpBatchers];
    await Promise.race([Promise.all(batchers.map((batcher) => batcher.drained())), new Promise((resolve) => setTimeout(resolve, grace))]);
    const abandoned = batchers.reduce((sum, batcher) => sum + batcher.pending, 0);
    // Only a store failing throughout the grace gets here: say so, never drop silently.
    if (abandoned > 0)
      this.#options.log.error({ entries: abandoned }, `syslog: ${abandoned} received entries could not be stored before shutdown`);
    for (const batcher of batchers) batcher.stop();
  }

  #context(transport: 'tcp' | 'udp'): SyslogBatcherContext {
    const options = this.#options;
    return {
      database: options.database,
      limits: options.limits,
      stream: options.stream ?? DEFAULT_STREAM,
      // A batch larger than the whole budget takes all of it, or it could never be stored.
      take: (bytes) => options.budget.take(Math.min(bytes, options.budget.limit)),
      give: (bytes) => options.budget.give(Math.min(bytes, options.budget.limit)),
      accepted: (lines, entries, bytes) => {
        countInputLines(options.registry, 'syslog', 'accepted', lines);
        options.ingested(entries, bytes);
      },
      rejected: (lines, error) => {
        countInputLines(options.registry, 'syslog', 'rejected', lines);
        this.#refusals.refused(error.code, `syslog (${transport}): ${error.message}`);
      },
      failed: (error) => {
        options.disk.failed(error);
        this.#refusals.refused('LIVELOG_ERR_SYSLOG_STORE', `syslog: could not store a batch (kept, retrying): ${(error as Error).message}`);
      },
      committed: () => options.disk.committed(),
    };
  }

  #listenTcp(address: SyslogAddress): Promise<SyslogAddress> {
    const server = createServer((socket) => this.#accept(socket));
    this.#servers.push(server);
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(address.port, address.host, () => {
        server.off('error', reject);
        server.on('error', (error) => this.#options.log.error({ err: error }, 'syslog: tcp listener failed'));
        const port = (server.address() as { port: number }).port;
        resolve({ ...address, port });
      });
    });
  }

  #accept(socket: Socket): void {
    if (this.#closing) {
      socket.destroy();
      return;
    }
    const context = this.#context('tcp');
    const batcher = new SyslogBatcher(context, (full) => (full ? socket.pause() : socket.resume()));
    const framer = new SyslogFramer(
      { frame: (bytes) => batcher.frame(bytes), skipped: (error) => context.rejected(1, error) },
      this.#options.limits.maxLineBytes,
    );
    this.#connections.set(socket, batcher);
    socket.on('data', (chunk: Buffer) => {
      framer.push(chunk);
      batcher.flush();
    });
    let ended = false;
    socket.on('end', () => {
      ended = true;
      // A last line without its newline is still a frame: the peer said it is done.
      framer.finish(false);
      batcher.flush();
      void batcher.drained().then(() => socket.end());
    });
    // Resets and timeouts are the peer's business; what arrived before them is stored all the same.
    socket.on('error', (error) => this.#options.log.debug({ err: error }, 'syslog: tcp connection error'));
    socket.on('close', () => {
      // Broken off without FIN: a frame held unfinished is counted as skipped, not silently lost.
      if (!ended) framer.finish(true);
      void batcher.drained().then(() => this.#connections.delete(socket));
    });
  }

  #listenUdp(address: SyslogAddress): Promise<SyslogAddress> {
    const socket = createSocket({ type: address.host.includes(':') ? 'udp6' : 'udp4', recvBufferSize: 4 * 1024 * 1024 });
    this.#udp.push(socket);
    const context = this.#context('udp');
    // UDP cannot be paused: `full` changes nothing, the pending bound below is all there is.
    const batcher = new SyslogBatcher(context, () => undefined);
    this.#udpBatchers.push(batcher);
    socket.on('message', (datagram: Buffer) => {
      let end = datagram.length;
      while (end > 0 && (datagram[end - 1] === 0x0a || datagram[end - 1] === 0x00 || datagram[end - 1] === 0x0d)) end--;
      if (end === 0) return;
      if (end > this.#options.limits.maxLineBytes) {
        context.rejected(
          1,
          new LivelogError(
            'LIVELOG_ERR_SYSLOG_FRAME_TOO_LONG',
            `a syslog datagram of ${end} bytes is longer than the line limit of ${this.#options.limits.maxLineBytes}`,
          ),
        );
        return;
      }
      if (batcher.pending >= UDP_MAX_PENDING) {
        context.rejected(
          1,
          new LivelogError(
            'LIVELOG_ERR_INGEST_BUSY',
            `${UDP_MAX_PENDING} syslog datagrams wait for the store; UDP messages are dropped until they are stored`,
          ),
        );
        return;
      }
      batcher.frame(datagram.subarray(0, end));
      batcher.flush();
    });
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(address.port, address.host, () => {
        socket.off('error', reject);
        socket.on('error', (error) => this.#options.log.error({ err: error }, 'syslog: udp socket failed'));
        resolve({ ...address, port: socket.address().port });
      });
    });
  }
}
