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
  #nextReadAt = 0;
  #maxIntervalMs = MAX_INTERVAL_MS;

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

  /** The kernel's send queue of `socket` at the last reading, if known; asks for a new reading. */
  queued(socket: Socket): number | undefined {
    if (!this.#available) return undefined;
    this.#refresh();
    const key = socketKey(socket);
    return key === undefined ? undefined : this.#queues.get(key);
  }

  #refresh(): void {
    const started = Date.now();
    if (this.#reading || started < this.#nextReadAt) return;
    this.#reading = true;
    Promise.all(this.#files.map((file) => readFile(file, 'latin1')))
      .then((tables) => {
        const queues = new Map<string, number>();
        for (const table of tables) parseTable(table, queues);
        this.#queues = queues;
      })
      .catch(() => {
        this.#available = false;
        this.#queues = new Map();
      })
      .finally(() => {
        this.#reading = false;
        const took = Date.now() - started;
        this.#nextReadAt = started + Math.min(this.#maxIntervalMs, Math.max(MIN_INTERVAL_MS, took / MAX_DUTY));
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
