import { ChaosProxy, startServer, type TestServer, waitFor } from '@livelog/test-utils';
import { expect } from 'vitest';
import type { ClientDriver, DriverStream } from './client-driver.js';
import type { RecorderSnapshot } from './stream-recorder.js';

/** A small seeded PRNG, so a failing run of random cuts can be replayed. */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Asserts `seqs` is exactly `expected` (default 1..n): nothing lost, repeated or reordered. */
export function expectExactly(seqs: readonly number[], n: number, expected?: readonly number[]): void {
  const want = expected ?? Array.from({ length: n }, (_, i) => i + 1);
  if (seqs.length === want.length && seqs.every((seq, i) => seq === want[i])) return;
  const seen = new Set(seqs);
  const missing = want.filter((seq) => !seen.has(seq));
  const firstBad = seqs.findIndex((seq, i) => seq !== want[i]);
  expect.fail(`expected ${want.length} seqs in order, got ${seqs.length}; missing ${missing.slice(0, 10)}; first mismatch at ${firstBad}`);
}

export const portOf = (url: string): number => Number(new URL(url).port);

/**
 * What the topics of the client suite share: the driver (made in the suite's beforeAll, so read it
 * when a test runs, not when it is registered), the cleanups run after each test, and the helpers
 * that start servers and proxies and wait for a stream's state.
 */
export interface SuiteContext {
  readonly driver: ClientDriver;
  readonly cleanups: (() => Promise<unknown>)[];
  server(input?: Parameters<typeof startServer>[0]): Promise<TestServer>;
  proxyTo(port: number): Promise<ChaosProxy>;
  via(target: TestServer): Promise<string>;
  until(
    stream: DriverStream,
    condition: (snapshot: RecorderSnapshot) => boolean,
    what: string,
    timeoutMs?: number,
  ): Promise<RecorderSnapshot>;
}

/** The context of one suite, reading its driver through `driver()`. */
export function suiteContext(driver: () => ClientDriver): SuiteContext {
  const cleanups: (() => Promise<unknown>)[] = [];
  async function server(input: Parameters<typeof startServer>[0] = {}): Promise<TestServer> {
    const started = await startServer({ heartbeat: '100ms', retry: '5ms', ...input });
    cleanups.push(() => started.close());
    return started;
  }
  async function proxyTo(port: number): Promise<ChaosProxy> {
    const proxy = await ChaosProxy.start({ port });
    cleanups.push(() => proxy.close());
    return proxy;
  }
  /**
   * The server's URL through a proxy of its own. Browsers keep (and preconnect) sockets to an
   * origin beyond the page's life; the proxy cuts them at cleanup, so the server closes at once.
   */
  async function via(target: TestServer): Promise<string> {
    return (await proxyTo(portOf(target.url))).url();
  }
  async function until(
    stream: DriverStream,
    condition: (snapshot: RecorderSnapshot) => boolean,
    what: string,
    timeoutMs = 20_000,
  ): Promise<RecorderSnapshot> {
    let last: RecorderSnapshot | undefined;
    try {
      return await waitFor(
        async () => {
          last = await stream.snapshot(false);
          return condition(last) ? last : undefined;
        },
        { what, timeoutMs, intervalMs: 5 },
      );
    } catch (error) {
      const { statuses, ...rest } = last ?? ({} as RecorderSnapshot);
      throw new Error(`${(error as Error).message}; last snapshot: ${JSON.stringify({ ...rest, statuses: statuses?.slice(-5) })}`);
    }
  }
  return {
    get driver() {
      return driver();
    },
    cleanups,
    server,
    proxyTo,
    via,
    until,
  };
}
