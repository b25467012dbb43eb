import { readFileSync } from 'node:fs';
import { createClient } from '@redis/client';
import { REDIS_URL } from './redis-server.js';

interface FixtureKey {
  type: 'hash' | 'stream' | 'string';
  value: Record<string, string> | [string, string[]][] | string;
}

/** The keys the single-stream store of main (commit 0b5e4ed) wrote, with `{PREFIX}` for its key. */
export const LEGACY_FIXTURE = JSON.parse(readFileSync(new URL('../fixtures/single-stream-v1.json', import.meta.url), 'utf8')) as {
  keys: Record<string, FixtureKey>;
};

/** The identity the fixture's stream has. */
export const LEGACY_IDENTITY = (LEGACY_FIXTURE.keys['{PREFIX}:meta'] as FixtureKey & { value: Record<string, string> }).value
  .stream as string;

/** Writes the fixture's keys under `{prefix}`, as main's store left them. */
export async function restoreLegacyFixture(prefix: string, url = REDIS_URL): Promise<void> {
  const client = createClient({ url, RESP: 2 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    for (const [name, key] of Object.entries(LEGACY_FIXTURE.keys)) {
      const target = name.replace('{PREFIX}', `{${prefix}}`);
      if (key.type === 'hash') await client.hSet(target, key.value as Record<string, string>);
      else if (key.type === 'string') await client.set(target, key.value as string, { PX: 86_400_000 });
      else for (const [id, fields] of key.value as [string, string[]][]) await client.sendCommand(['XADD', target, id, ...fields]);
    }
  } finally {
    client.destroy();
  }
}
