import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createClient } from '@redis/client';
import { freePort, waitFor } from './redis-server.js';

const run = promisify(execFile);

/**
 * A real Redis Cluster of `shards` primaries (no replicas) on free loopback ports, each a
 * `redis-server --cluster-enabled yes` of its own in a temporary directory, joined with
 * `redis-cli --cluster create`. `stop()` kills every server and removes the directory.
 */
export class TestRedisCluster {
  readonly ports: number[];
  readonly #dir: string;
  readonly #processes: ChildProcess[] = [];

  private constructor(ports: number[], dir: string) {
    this.ports = ports;
    this.#dir = dir;
  }

  static async start(shards = 3): Promise<TestRedisCluster> {
    const dir = await mkdtemp(join(tmpdir(), 'livelog-cluster-'));
    const ports: number[] = [];
    // Cluster nodes also listen on port + 10000 (the bus): pick ports whose bus port is free too.
    while (ports.length < shards) {
      const port = await freePort();
      if (port < 55_000 && !ports.includes(port)) ports.push(port);
    }
    const cluster = new TestRedisCluster(ports, dir);
    try {
      for (const port of ports) {
        const child = spawn(
          'redis-server',
          [
            '--port',
            String(port),
            '--bind',
            '127.0.0.1',
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            `nodes-${port}.conf`,
            '--cluster-node-timeout',
            '5000',
            '--save',
            '',
            '--appendonly',
            'no',
            '--dir',
            dir,
          ],
          { stdio: 'ignore' },
        );
        cluster.#processes.push(child);
      }
      for (const port of ports) await waitFor(() => answers(port), 10_000, `redis-server on port ${port}`);
      await run(
        'redis-cli',
        ['--cluster', 'create', ...ports.map((port) => `127.0.0.1:${port}`), '--cluster-replicas', '0', '--cluster-yes'],
        {
          timeout: 30_000,
        },
      );
      await waitFor(() => clusterOk(ports), 20_000, 'cluster_state:ok on every node');
      return cluster;
    } catch (error) {
      await cluster.stop();
      throw error;
    }
  }

  /** The store URL of the cluster: the first node as seed, the others as `node=` parameters. */
  storeUrl(key: string): string {
    const [first, ...rest] = this.ports;
    return `redis+cluster://127.0.0.1:${first}?key=${key}${rest.map((port) => `&node=127.0.0.1:${port}`).join('')}`;
  }

  /** Runs one command on the node at `port`. */
  async onNode<T>(port: number, args: string[]): Promise<T> {
    const client = createClient({ url: `redis://127.0.0.1:${port}`, RESP: 2 });
    client.on('error', () => undefined);
    await client.connect();
    try {
      return await client.sendCommand<T>(args);
    } finally {
      client.destroy();
    }
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.#processes.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGKILL');
          }),
      ),
    );
    await rm(this.#dir, { recursive: true, force: true });
  }
}

async function answers(port: number): Promise<boolean> {
  const client = createClient({ url: `redis://127.0.0.1:${port}`, socket: { reconnectStrategy: false, connectTimeout: 500 } });
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

async function clusterOk(ports: number[]): Promise<boolean> {
  for (const port of ports) {
    const client = createClient({ url: `redis://127.0.0.1:${port}`, socket: { reconnectStrategy: false, connectTimeout: 500 } });
    client.on('error', () => undefined);
    try {
      await client.connect();
      const info = await client.sendCommand<string>(['CLUSTER', 'INFO']);
      if (!info.includes('cluster_state:ok')) return false;
    } catch {
      return false;
    } finally {
      client.destroy();
    }
  }
  return true;
}
