import { connect, type Socket } from 'node:net';
import { type AppendOptions, type AppendResult, MemoryStore, type NewEntry } from '@livelog/core';
import type { LogEntry } from '@livelog/protocol';
import { freePort, startServer, type TestServer, waitFor } from '@livelog/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * Syslog over TCP when the sender is faster than the store: the connection is paused, not read into
 * memory. The store here commits nothing until the test opens its gate; meanwhile one TCP connection
 * writes as fast as the socket takes it. Once the sender is blocked (the kernel's buffers on both
 * sides are full because livelog stopped reading), the bytes it got out must be a few MB, not the
 * 64 MB on offer: that is what livelog holds unstored. Then the gate opens, the sender goes on, and
 * every line is stored exactly once, in order.
 *
 * Without the pause (socket.pause() on a full batch) the sender never blocks: livelog reads all
 * 64 MB into its batch while the store takes nothing, and the first assertion fails.
 */

/** A store whose appends wait for `release()`: the slowest store there is, then a normal one. */
class GatedStore extends MemoryStore {
  #release: () => void = () => undefined;
  readonly #gate = new Promise<void>((resolve) => {
    this.#release = resolve;
  });
  appends = 0;

  /** Named apart from LogStore.open(), which the server calls at start. */
  release(): void {
    this.#release();
  }

  override async append(entries: readonly NewEntry[], options?: AppendOptions): Promise<AppendResult> {
    this.appends++;
    await this.#gate;
    return super.append(entries, options);
  }
}

/** On offer while the store takes nothing: 400,000 lines, ~64 MB, all read at once unless livelog stops reading. */
const OFFERED_LINES = 400_000;
const OFFERED_BYTES = 64 * 1024 * 1024;
/**
 * What a paused connection can hold: the kernel's buffers on both sides of a loopback connection
 * (at most tcp_rmem[2] + tcp_wmem[2], 32 + 4 MiB on Debian 12) plus livelog's 20,000-entry batch.
 * Measured: 4 to 8 MiB on a loaded 2-core machine.
 */
const MAX_UNSTORED_BYTES = 40 * 1024 * 1024;
/** Lines written after the store catches up: the paused connection is read again. */
const MORE_LINES = 20_000;

let store: GatedStore;
let server: TestServer;
let port: number;
beforeAll(async () => {
  port = await freePort();
  store = new GatedStore();
  server = await startServer({ syslog: [`tcp://127.0.0.1:${port}`] }, { store });
});
afterAll(async () => {
  store.release();
  await server.close();
});

function line(i: number): string {
  // ~160 bytes: RFC 5424, octet-counted.
  const text = `<14>1 - host pressure - - - line ${String(i).padStart(7, '0')} ${'p'.repeat(110)}`;
  return `${Buffer.byteLength(text)} ${text}`;
}

/** Bytes the kernel took from the socket (written, minus what still waits in Node's buffer). */
function handedOver(socket: Socket): number {
  return socket.bytesWritten - socket.writableLength;
}

describe('syslog over TCP with a store slower than the sender', () => {
  it('pauses the connection while the store lags, then stores every line once, in order', async () => {
    const socket = connect(port, '127.0.0.1');
    await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    let next = 0;
    let offered = 0;
    // Phase 1: write as fast as the socket takes it, up to 64 MB, while the store takes nothing;
    // blocked is a full Node buffer from which nothing leaves for a second.
    let blocked = false;
    while (offered < OFFERED_BYTES && next < OFFERED_LINES && !blocked) {
      const frame = line(next++);
      offered += frame.length;
      if (socket.write(frame)) continue;
      let drained = false;
      socket.once('drain', () => {
        drained = true;
      });
      let last = handedOver(socket);
      let since = Date.now();
      await waitFor(
        () => {
          if (drained) return true;
          const now = handedOver(socket);
          if (now !== last) {
            last = now;
            since = Date.now();
          }
          blocked = Date.now() - since >= 1_000;
          return blocked;
        },
        { timeoutMs: 30_000, intervalMs: 50, what: 'the socket to drain or stall' },
      );
    }
    const unstored = handedOver(socket);
    process.stderr.write(
      `syslog backpressure: the sender got ${(unstored / 1048576).toFixed(1)} MiB out while the store took nothing (${store.appends} append(s) waiting)\n`,
    );
    expect(blocked, 'the sender never blocked: livelog read on while its store took nothing').toBe(true);
    expect(unstored).toBeLessThan(MAX_UNSTORED_BYTES);
    expect(await store.readAfter(0, 1)).toEqual([]);

    // Phase 2: the store takes appends; the paused connection is read again, and takes more.
    store.release();
    const total = next + MORE_LINES;
    while (next < total) {
      if (!socket.write(line(next++))) await new Promise((resolve) => socket.once('drain', resolve));
    }
    socket.end();
    await waitFor(async () => (await store.bounds()).last >= total, { timeoutMs: 120_000, intervalMs: 200, what: 'all lines stored' });
    const rows = await store.readAfter(0, total + 10);
    expect(rows.length).toBe(total);
    const wrong: string[] = [];
    rows.forEach((row, i) => {
      const message = (JSON.parse(row.json) as LogEntry).msg;
      if (!message.startsWith(`line ${String(i).padStart(7, '0')} `)) wrong.push(`${i}: ${message.slice(0, 20)}`);
    });
    expect(wrong.slice(0, 5)).toEqual([]);
  }, 180_000);
});
