import { readFile } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { endianness } from 'node:os';

/**
 * How often the kernel's tables may be read at most, and the share of time reading them may take; but
 * never less often than every 5 s, well within any stall limit worth having (a starved process
 * measures long reads in wall time). A reading costs ~40 ms of CPU with 1,000 connections open (their
 * TIME_WAIT neighbours included), so during a storm the readings take ~4% of a core.
 */
const MIN_INTERVAL_MS = 1000;
const MAX_INTERVAL_MS = 5000;
const MAX_DUTY = 0.05;
/**
 * While a writer waits for a socket's queue to fall (see afterNextReading), readings come this often
 * at most and may take this share of the time: a catch-up reader held back by its bytes in flight
 * would otherwise wait a second per page.
 */
const WAITED_MIN_INTERVAL_MS = 200;
const WAITED_MAX_INTERVAL_MS = 1000;
const WAITED_MAX_DUTY = 0.1;
const LITTLE_ENDIAN = endianness() === 'LE';

/**
 * The bytes each TCP socket has in the kernel's send queue (written, not yet acknowledged by the peer),
 * read from Linux's `/proc/net/tcp` and `tcp6`: the only view Node has of a reader taking bytes while its
 * socket stays full. Linux wakes a writer only once a third of the send buffer is free, and on loopback
 * that buffer grows to 4 MB, so Node's own write queue can stand still for many seconds while a slow
 * reader reads steadily; the kernel's queue falls with every read.
 *
 * Read on demand, asynchronously, for all sockets at once (the table has a line per socket of the
 * network namespace): at most every second and 5% of the time, at least every 5 s while asked. Callers
 * get the last reading, which may be one reading old. Elsewhere than Linux, or when the files cannot be read, nothing is known.
 */
export class TcpSendQueues {
  readonly #files: readonly string[];
  #available = process.platform === 'linux';
  #queues = new Map<string, number>();
  #reading = false;
  #startedAt = 0;
  #took = 0;
  /**
   * The last reading's cost to the event loop, ms: parsing the tables (the kernel writes them on
   * libuv's threads). Wall time (#took) also counts the turns the loop spent on other work meanwhile:
   * a storm's first reading took seconds of it, and spacing readings by it held every reader back.
   */
  #parseMs = 0;
  #maxIntervalMs = MAX_INTERVAL_MS;
  /** Sockets asked about by `estimate`, with what each had handed the kernel when the last reading began. */
  readonly #tracked = new Map<Socket, () => number>();
  #sentAtReading = new Map<Socket, number>();
  #afterReading: (() => void)[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(files: readonly string[] = ['/proc/net/tcp', '/proc/net/tcp6']) {
    this.#files = files;
  }

  /**
   * Reads at least every `ms` (not more often than every second) while asked: a stall limit only a few
   * seconds long needs readings well inside it, or a reader that reads steadily looks stalled between two.
   */
  freshWithin(ms: number): void {
    this.#maxIntervalMs = Math.max(MIN_INTERVAL_MS, Math.min(this.#maxIntervalMs, ms));
  }

  /** False where the kernel's queues cannot be read (not Linux, or the files failed): nothing is known. */
  get available(): boolean {
    return this.#available;
  }

  /** The kernel's send queue of `socket` at the last reading, if known; asks for a new reading. */
  queued(socket: Socket): number | undefined {
    if (!this.#available) return undefined;
    this.#refresh();
    const key = socketKey(socket);
    return key === undefined ? undefined : this.#queues.get(key);
  }

  /**
   * The kernel's send queue of `socket` now, at most: the last reading plus what the socket handed the
   * kernel since that reading began (`sent`: its running total), as if the reader had taken nothing
   * since. Undefined until a reading began after the socket was first asked about.
   */
  estimate(socket: Socket, sent: () => number): number | undefined {
    if (!this.#tracked.has(socket)) {
      this.#tracked.set(socket, sent);
      socket.once('close', () => this.#tracked.delete(socket));
    }
    const queued = this.queued(socket);
    const base = this.#sentAtReading.get(socket);
    return queued === undefined || base === undefined ? undefined : queued + sent() - base;
  }

  /** Calls `listener` once after the next reading (soon: readings are made while someone waits for one). */
  afterNextReading(listener: () => void): void {
    if (!this.#available) {
      queueMicrotask(listener);
      return;
    }
    this.#afterReading.push(listener);
    this.#refresh();
  }

  #refresh(): void {
    if (this.#reading || this.#timer !== undefined) return;
    const waited = this.#afterReading.length > 0;
    const interval = waited
      ? Math.min(WAITED_MAX_INTERVAL_MS, Math.max(WAITED_MIN_INTERVAL_MS, this.#parseMs / WAITED_MAX_DUTY))
      : Math.min(this.#maxIntervalMs, Math.max(MIN_INTERVAL_MS, this.#took / MAX_DUTY));
    const wait = this.#startedAt + interval - Date.now();
    if (wait > 0) {
      // Only a waiter needs the reading when it is due; a plain query gets the last one meanwhile.
      if (waited) {
        this.#timer = setTimeout(() => {
          this.#timer = undefined;
          this.#refresh();
        }, wait);
        this.#timer.unref();
      }
      return;
    }
    this.#read();
  }

  #read(): void {
    const started = Date.now();
    this.#startedAt = started;
    this.#reading = true;
    const sent = new Map<Socket, number>();
    for (const [socket, total] of this.#tracked) sent.set(socket, total());
    Promise.all(this.#files.map((file) => readFile(file, 'latin1')))
      .then((tables) => {
        const parsing = performance.now();
        const queues = new Map<string, number>();
        for (const table of tables) parseTable(table, queues);
        this.#queues = queues;
        this.#sentAtReading = sent;
        this.#parseMs = performance.now() - parsing;
      })
      .catch(() => {
        this.#available = false;
        this.#queues = new Map();
      })
      .finally(() => {
        this.#reading = false;
        this.#took = Date.now() - started;
        const listeners = this.#afterReading;
        this.#afterReading = [];
        for (const listener of listeners) listener();
        if (this.#afterReading.length > 0) this.#refresh();
      });
  }
}

/** `local-address:port remote-address:port` of a connected socket, addresses as `canonicalAddress` writes them. */
function socketKey(socket: Socket): string | undefined {
  const { localAddress, localPort, remoteAddress, remotePort } = socket;
  if (localAddress === undefined || localPort === undefined || remoteAddress === undefined || remotePort === undefined) return undefined;
  return `${canonicalAddress(localAddress)}:${localPort} ${canonicalAddress(remoteAddress)}:${remotePort}`;
}

/** IPv4 (and IPv4-mapped IPv6) as dotted quads; IPv6 as eight unabbreviated lowercase hex groups. */
export function canonicalAddress(address: string): string {
  const bare = address.replace(/%.*$/, '').toLowerCase();
  if (!bare.includes(':')) return bare;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(bare);
  if (mapped !== null) return mapped[1] as string;
  const [head = '', tail] = bare.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return groups.map((group) => Number.parseInt(group, 16).toString(16)).join(':');
}

/** Adds `address:port address:port → tx_queue` for every connected socket of one /proc table. */
export function parseTable(table: string, into: Map<string, number>): void {
  let start = table.indexOf('\n') + 1;
  while (start > 0 && start < table.length) {
    let end = table.indexOf('\n', start);
    if (end === -1) end = table.length;
    // `sl local rem st tx:rx ...`; listening sockets (0A) send nothing.
    const fields = table.slice(start, end).trim().split(/\s+/);
    start = end + 1;
    const [, local, remote, state, queues] = fields;
    if (local === undefined || remote === undefined || queues === undefined || state === '0A') continue;
    const key = `${procEndpoint(local)} ${procEndpoint(remote)}`;
    into.set(key, Number.parseInt(queues.slice(0, queues.indexOf(':')), 16));
  }
}

/** `0100007F:1F90` → `127.0.0.1:8080`: each 32-bit word of the address is printed in host byte order. */
function procEndpoint(endpoint: string): string {
  const colon = endpoint.indexOf(':');
  const hex = endpoint.slice(0, colon);
  const port = Number.parseInt(endpoint.slice(colon + 1), 16);
  const bytes: number[] = [];
  for (let word = 0; word < hex.length; word += 8) {
    const value = Number.parseInt(hex.slice(word, word + 8), 16);
    const big = [value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff];
    bytes.push(...(LITTLE_ENDIAN ? big.reverse() : big));
  }
  if (bytes.length === 4) return `${bytes.join('.')}:${port}`;
  const isMapped = bytes.slice(0, 10).every((byte) => byte === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  if (isMapped) return `${bytes.slice(12).join('.')}:${port}`;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((bytes[i] as number) << 8) | (bytes[i + 1] as number)).toString(16));
  return `${groups.join(':')}:${port}`;
}
