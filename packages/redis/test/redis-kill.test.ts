import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { LogStore } from '@livelog/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createRedisDatabase } from '../src/create-redis-store.js';
import type { RedisLogDatabase } from '../src/redis-log-database.js';
import { dropPrefix, REDIS_URL, uniqueKey, waitFor } from './support/redis-server.js';

type Ack = { name: string; batch: number; first: number; last: number } | { end: string; exitCode: number };

/**
 * Faults between what a writer was told and what the database holds: an acknowledged entry missing or
 * not where its ack says, a stream whose seqs have a hole, an acknowledged end not kept.
 */
async function faults(database: RedisLogDatabase, acks: readonly Ack[]): Promise<string[]> {
  const found: string[] = [];
  const stores = new Map<string, LogStore>();
  const storeOf = async (name: string): Promise<LogStore | undefined> => {
    if (!stores.has(name)) {
      const store = await database.stream(name);
      if (store !== undefined) stores.set(name, store);
    }
    return stores.get(name);
  };
  for (const ack of acks) {
    if ('end' in ack) {
      const store = await storeOf(ack.end);
      if ((await store?.info())?.end?.exitCode !== ack.exitCode) found.push(`end of ${ack.end} lost`);
      continue;
    }
    const store = await storeOf(ack.name);
    const rows = store === undefined ? [] : await store.readAfter(ack.first - 1, ack.last - ack.first + 1);
    const messages = rows.map((row) => `${row.seq} ${JSON.parse(row.json).msg}`);
    const wanted = Array.from({ length: ack.last - ack.first + 1 }, (_, i) => `${ack.first + i} ${ack.batch}.${i}`);
    if (messages.join('|') !== wanted.join('|')) found.push(`batch ${ack.batch} of ${ack.name} not stored as acknowledged`);
  }
  for (const [name, store] of stores) {
    const { last } = await store.bounds();
    const seqs = (await store.readAfter(0, last + 1)).map((row) => row.seq);
    if (seqs.join(',') !== Array.from({ length: last }, (_, i) => i + 1).join(',')) found.push(`${name} has a hole`);
  }
  return found;
}

describe('a writer process killed with kill -9 while writing 100 streams', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  });

  it('loses no acknowledged entry or end, each in its own stream, gap-free (and the check catches a planted loss)', async () => {
    const prefix = uniqueKey('kill');
    cleanups.push(() => dropPrefix(prefix));
    const script = fileURLToPath(new URL('./support/kill-writer.mjs', import.meta.url));
    const child = spawn(process.execPath, [script, `${REDIS_URL}?key=${prefix}`, '100'], { stdio: ['ignore', 'pipe', 'pipe'] });
    cleanups.push(async () => {
      child.kill('SIGKILL');
    });
    let output = '';
    let errors = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      errors += chunk.toString();
    });
    await waitFor(() => output.split('\n').length > 600, 60_000, '600 acknowledgements');
    const exited = new Promise((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    expect(errors).toBe('');
    // A line cut by the kill was never a whole acknowledgement.
    const acks = output
      .split('\n')
      .filter((line) => line.endsWith('}'))
      .map((line) => JSON.parse(line) as Ack);
    expect(acks.filter((ack) => 'end' in ack).length).toBeGreaterThan(5);

    const database = createRedisDatabase(`${REDIS_URL}?key=${prefix}`);
    await database.open();
    cleanups.push(() => database.close());
    expect(await faults(database, acks)).toEqual([]);
    expect((await database.list({ limit: 200 })).streams.length).toBeGreaterThan(90);

    // The check is shown catching a planted loss: one acknowledged entry removed by hand.
    const victim = acks.find((ack): ack is Extract<Ack, { name: string }> => 'name' in ack) as Extract<Ack, { name: string }>;
    const store = (await database.stream(victim.name)) as LogStore & { keys: { log: string } };
    const { createClient } = await import('@redis/client');
    const client = createClient({ url: REDIS_URL });
    await client.connect();
    await client.xDel(store.keys.log, `${victim.first}-0`);
    client.destroy();
    const planted = await faults(database, acks);
    expect(planted).toContain(`batch ${victim.batch} of ${victim.name} not stored as acknowledged`);
    expect(planted).toContain(`${victim.name} has a hole`);
  }, 120_000);
});
