import { connect, createServer, type Server, type Socket } from 'node:net';
import { EventBoundary } from './event-boundary.js';

interface Pair {
  client: Socket;
  upstream: Socket;
  /** Bytes still allowed from upstream to client before the pair is cut; undefined: no limit. */
  budget: number | undefined;
  /** The budget passes to the next connection when this one closes before it is spent (see cutAllAfter). */
  carry: boolean;
  /** Bytes let through to the client so far. */
  forwarded: number;
  /** Where the bytes let through stand in the response: inside an SSE event or between two. */
  boundary: EventBoundary;
  /** When bytes last came from upstream (performance.now()), 0 for never. */
  lastDataAt: number;
}

/**
 * What the proxy saw when it cut one connection, so a loss test can assert that its cuts hit
 * entries in flight and not only idle, caught-up readers.
 */
export interface CutRecord {
  /** Bytes the client got from upstream on this connection before the cut. */
  forwarded: number;
  /** Bytes that had arrived from upstream and were thrown away by the cut. */
  dropped: number;
  /**
   * The cut fell inside an SSE event: the response body let through does not end with the blank
   * line that ends an event (HTTP chunk framing aside), so the client holds half an event it must
   * discard.
   */
  midEvent: boolean;
  /** Bytes were thrown away, or upstream sent bytes within `flowWindowMs` before the cut. */
  inFlight: boolean;
}

/** Totals of the cuts so far. */
export interface CutStats {
  total: number;
  midEvent: number;
  inFlight: number;
}

/** Upstream data this recent counts as flowing (see CutRecord.inFlight). */
const FLOW_WINDOW_MS = 100;

/**
 * A fault-injecting TCP proxy on 127.0.0.1 for loss tests: it can cut every connection at once, cut
 * after a number of bytes (so mid-event, even mid-character), stall connections without closing them
 * (a dead network that TCP has not noticed), and refuse new connections (an outage).
 */
export class ChaosProxy {
  readonly #server: Server;
  readonly #pairs = new Set<Pair>();
  readonly #target: { host: string; port: number };
  #refusing = false;
  #stalled = false;
  /** A budget carried over from a connection that closed before spending it, for the next one accepted. */
  #carried: number | undefined;
  /** Connections accepted so far. */
  accepted = 0;
  /** Connections cut by the proxy so far. */
  cuts = 0;
  /** One record per cut, in order (see cutStats). */
  readonly cutRecords: CutRecord[] = [];

  private constructor(server: Server, target: { host: string; port: number }) {
    this.#server = server;
    this.#target = target;
  }

  /** Starts a proxy to `target` on a free port. */
  static async start(target: { host?: string; port: number }): Promise<ChaosProxy> {
    const server = createServer();
    const proxy = new ChaosProxy(server, { host: target.host ?? '127.0.0.1', port: target.port });
    server.on('connection', (client) => proxy.#accept(client));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get port(): number {
    const address = this.#server.address();
    if (address === null || typeof address === 'string') throw new Error('proxy is not listening');
    return address.port;
  }

  /** `http://127.0.0.1:<port><path>`. */
  url(path = ''): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /** How many cuts so far fell mid-event and while bytes were in flight. */
  cutStats(since = 0): CutStats {
    const records = this.cutRecords.slice(since);
    return {
      total: records.length,
      midEvent: records.filter((record) => record.midEvent).length,
      inFlight: records.filter((record) => record.inFlight).length,
    };
  }

  /** Connections open now. */
  get open(): number {
    return this.#pairs.size;
  }

  /** Points new connections at another port (a restarted server). */
  retarget(port: number): void {
    this.#target.port = port;
  }

  /** Cuts every open connection at once; returns how many. */
  cutAll(): number {
    const count = this.#pairs.size;
    for (const pair of [...this.#pairs]) this.#cut(pair);
    return count;
  }

  /**
   * Lets `bytes` more bytes through to each client, then cuts its connection wherever that falls.
   * With `carryOver`, a budget whose connection closes on its own before it is spent (a client's
   * watchdog gave up on it, the server ended it) applies to the connections open without a budget,
   * else to the next one accepted, as does one set while no connection is open: a test that waits
   * for each budgeted cut then always gets it, on a connection a client reads.
   */
  cutAllAfter(bytes: number, options: { carryOver?: boolean } = {}): void {
    const carry = options.carryOver === true;
    for (const pair of this.#pairs) {
      pair.budget = bytes;
      pair.carry = carry;
    }
    if (carry && this.#pairs.size === 0) this.#carried = bytes;
  }

  /**
   * Cuts each open connection with probability `share`, after a random 0..`maxBytes` more bytes
   * (0: at once). For soak runs, where cutting every reader at once would be a reconnect storm.
   * Returns how many connections were picked.
   */
  cutRandom(share: number, maxBytes = 0): number {
    let picked = 0;
    for (const pair of [...this.#pairs]) {
      if (Math.random() >= share) continue;
      picked++;
      if (maxBytes === 0) this.#cut(pair);
      else pair.budget = Math.floor(Math.random() * maxBytes);
    }
    return picked;
  }

  /** New connections are closed at once while true. */
  refuse(on: boolean): void {
    this.#refusing = on;
  }

  /** Stops forwarding in both directions without closing anything. */
  stall(): void {
    this.#stalled = true;
    for (const pair of this.#pairs) {
      pair.client.pause();
      pair.upstream.pause();
    }
  }

  resume(): void {
    this.#stalled = false;
    for (const pair of this.#pairs) {
      pair.client.resume();
      pair.upstream.resume();
    }
  }

  async close(): Promise<void> {
    this.cutAll();
    await new Promise((resolve) => this.#server.close(resolve));
  }

  #accept(client: Socket): void {
    if (this.#refusing) {
      client.destroy();
      return;
    }
    this.accepted++;
    const upstream = connect(this.#target.port, this.#target.host);
    const pair: Pair = {
      client,
      upstream,
      budget: this.#carried,
      carry: this.#carried !== undefined,
      forwarded: 0,
      boundary: new EventBoundary(),
      lastDataAt: 0,
    };
    this.#carried = undefined;
    this.#pairs.add(pair);
    const drop = (): void => {
      if (!this.#pairs.delete(pair)) return;
      if (pair.carry && pair.budget !== undefined) this.#carry(pair.budget);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.on('data', (chunk: Buffer) => {
      if (!upstream.write(chunk)) client.pause();
    });
    upstream.on('drain', () => {
      if (!this.#stalled) client.resume();
    });
    upstream.on('data', (chunk: Buffer) => {
      pair.lastDataAt = performance.now();
      if (pair.budget !== undefined) {
        if (chunk.length >= pair.budget) {
          const through = chunk.subarray(0, pair.budget);
          this.#forward(pair, through);
          this.#cut(pair, chunk.length - through.length);
          return;
        }
        pair.budget -= chunk.length;
      }
      if (!this.#forward(pair, chunk)) upstream.pause();
    });
    client.on('drain', () => {
      if (!this.#stalled) upstream.resume();
    });
    if (this.#stalled) {
      client.pause();
      upstream.pause();
    }
  }

  /**
   * Hands the budget of a connection that closed unspent to the open ones without a budget (the
   * client may have reconnected before the old connection's close reached the proxy), else to the
   * next connection accepted.
   */
  #carry(budget: number): void {
    let handed = false;
    for (const pair of this.#pairs) {
      if (pair.budget !== undefined) continue;
      pair.budget = budget;
      pair.carry = true;
      handed = true;
    }
    if (!handed) this.#carried = budget;
  }

  /** Writes `chunk` to the client, keeping what cut records need; false when the client is full. */
  #forward(pair: Pair, chunk: Buffer): boolean {
    if (chunk.length === 0) return true;
    pair.forwarded += chunk.length;
    pair.boundary.feed(chunk);
    return pair.client.write(chunk);
  }

  #cut(pair: Pair, dropped = 0): void {
    if (!this.#pairs.has(pair)) return;
    this.cuts++;
    // Buffered bytes not yet taken by the client are still delivered by end(): they are not dropped.
    const flowing = pair.lastDataAt !== 0 && performance.now() - pair.lastDataAt <= FLOW_WINDOW_MS;
    this.cutRecords.push({
      forwarded: pair.forwarded,
      dropped,
      midEvent: !pair.boundary.atBoundary,
      inFlight: dropped > 0 || flowing,
    });
    // end() after the last write, then destroy: the bytes already let through still reach the client.
    pair.client.end();
    pair.upstream.destroy();
    setTimeout(() => pair.client.destroy(), 50).unref();
    this.#pairs.delete(pair);
  }
}
