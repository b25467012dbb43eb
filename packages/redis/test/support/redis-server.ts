import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@redis/client';

/** The shared Redis of the test run: REDIS_URL, else the one on 127.0.0.1:6379. */
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A stream key no other test uses. */
export function uniqueKey(label = 'test'): string {
  return `livelog-${label}-${randomUUID()}`;
}

/** Deletes every key of the stream `name` (they all start with its hash tag). */
export async function dropStream(name: string, url = REDIS_URL): Promise<void> {
  const client = createClient({ url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const keys: string[] = [];
    for await (const batch of client.scanIterator({ MATCH: `{${name}}:*`, COUNT: 1000 })) keys.push(...batch);
    if (keys.length > 0) await client.del(keys);
  } finally {
    client.destroy();
  }
}

/** Deletes every key of the prefix: the `default` stream and registry (`{prefix}:…`) and every stream (`prefix:{name}:…`). */
export async function dropPrefix(prefix: string, url = REDIS_URL): Promise<void> {
  await dropStream(prefix, url);
  const client = createClient({ url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const keys: string[] = [];
    for await (const batch of client.scanIterator({ MATCH: `${prefix}:{*`, COUNT: 1000 })) keys.push(...batch);
    for (let i = 0; i < keys.length; i += 1000) await client.del(keys.slice(i, i + 1000));
  } finally {
    client.destroy();
  }
}

/** A free TCP port on loopback. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** Polls `condition` until it holds, or fails after `timeoutMs`. */
export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * A redis-server of a test's own, on a free port, that the test may kill and start again. With
 * `persistent`, an append-only file with fsync per write keeps every acknowledged write across a
 * kill -9; without it a restart starts empty.
 */
export class TestRedisServer {
  readonly port: number;
  readonly persistent: boolean;
  readonly #dir: string;
  #process: ChildProcess | undefined;

  private constructor(port: number, dir: string, persistent: boolean) {
    this.port = port;
    this.#dir = dir;
    this.persistent = persistent;
  }

  static async start(options: { persistent?: boolean } = {}): Promise<TestRedisServer> {
    const dir = await mkdtemp(join(tmpdir(), 'livelog-redis-'));
    const server = new TestRedisServer(await freePort(), dir, options.persistent ?? false);
    await server.restart();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.#process !== undefined;
  }

  /** Starts the server (again) and waits until it answers PING. */
  async restart(): Promise<void> {
    if (this.#process !== undefined) throw new Error('already running');
    const persistence = this.persistent ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'];
    const child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', ...persistence, '--dir', this.#dir],
      { stdio: 'ignore' },
    );
    this.#process = child;
    child.once('exit', () => {
      if (this.#process === child) this.#process = undefined;
    });
    await waitFor(() => this.#answers(), 10_000, `redis-server on port ${this.port}`);
  }

  /** kill -9, and waits for the process to be gone. */
  async kill(): Promise<void> {
    const child = this.#process;
    if (child === undefined) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    this.#process = undefined;
  }

  async stop(): Promise<void> {
    await this.kill();
    await rm(this.#dir, { recursive: true, force: true });
  }

  async #answers(): Promise<boolean> {
    if (this.#process === undefined) throw new Error(`redis-server on port ${this.port} exited`);
    const client = createClient({ url: this.url, socket: { reconnectStrategy: false, connectTimeout: 500 } });
    client.on('error', () => undefined);
    try {
      await client.connect();
      return (await client.ping()) === 'PONG';
    } catch {
      return false;
    } finally {
      client.destroy();
    }
  }
}
