import { appendFileSync, mkdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type SpawnedServer, spawnServer, tempDir, waitFor } from '@livelog/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lines, numbered, storedMessages } from './support/follow-log.js';
import { livelog } from './support/livelog-process.js';

/**
 * `livelog pipe --follow` and the server's idempotency keys: a batch sent again after a crash has
 * the very body sent before (so the server replays it), and a key the server holds for another
 * batch is a refusal said on stderr with its line count and exit 1, never taken as stored.
 */

let server: SpawnedServer;
let dir: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  dir = await tempDir('livelog-follow-keys-');
  server = await spawnServer({ dataDir: join(dir.path, 'data'), logLevel: 'warn' });
});
afterAll(async () => {
  server.child.kill('SIGCONT');
  await server.kill('SIGTERM');
  await dir.remove();
});

const stored = (stream: string): Promise<string[]> => storedMessages(server.url, stream);

function args(name: string, once: boolean): string[] {
  return [
    'pipe',
    '--follow',
    join(dir.path, name, 'app.log'),
    '--checkpoint',
    join(dir.path, name, 'follow.checkpoint'),
    '--from-start',
    ...(once ? ['--once'] : []),
    '--server',
    server.url,
    '--stream',
    name,
  ];
}

describe('pipe --follow and idempotency keys', () => {
  it('a key the server holds for another batch: the lines are reported not stored, with their count, and pipe exits 1', async () => {
    mkdirSync(join(dir.path, 'mismatch'));
    const log = join(dir.path, 'mismatch', 'app.log');
    const checkpoint = join(dir.path, 'mismatch', 'follow.checkpoint');
    writeFileSync(log, lines(0, 10));
    // A follower that cannot deliver (nothing listens there) notes its batch and key in flight, then dies.
    const stuck = livelog(args('mismatch', false).map((arg) => (arg === server.url ? 'http://127.0.0.1:9' : arg)));
    let key = '';
    try {
      await waitFor(
        () => {
          try {
            key = (JSON.parse(readFileSync(checkpoint, 'utf8')) as { inflight?: { key: string } }).inflight?.key ?? '';
          } catch {
            key = '';
          }
          return key !== '';
        },
        { timeoutMs: 30_000, what: 'a batch in flight' },
      );
    } finally {
      stuck.child.kill('SIGKILL');
      await stuck.exited;
    }
    // Meanwhile another batch took that key.
    const planted = await fetch(`${server.url}/api/streams/mismatch/logs?source=app.log`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson', 'idempotency-key': key },
      body: '{"msg":"another batch"}',
    });
    expect(planted.status).toBe(200);
    const run = livelog(args('mismatch', true));
    const { code } = await run.exited;
    expect(run.stderr()).toMatch(
      /10 lines \(bytes 0\.\.\d+ of .*app\.log\) NOT stored: the server holds a different batch under Idempotency-Key llf-/,
    );
    expect(run.stderr()).toContain('LIVELOG_ERR_INGEST_IDEMPOTENCY_MISMATCH');
    expect(code).toBe(1);
    expect(await stored('mismatch')).toEqual(['another batch']);
  }, 60_000);

  it('a file truncated and written again with the same first line: the new generation has keys of its own', async () => {
    mkdirSync(join(dir.path, 'banner'));
    const log = join(dir.path, 'banner', 'app.log');
    writeFileSync(log, 'banner\n');
    const follower = livelog(args('banner', false));
    try {
      await waitFor(async () => (await stored('banner')).length >= 1, { timeoutMs: 30_000, what: 'the first banner' });
      truncateSync(log, 0);
      await waitFor(() => follower.stderr().includes('was truncated at 7 bytes'), { timeoutMs: 30_000, what: 'the truncation seen' });
      // The same bytes at the same offsets as the first generation's first batch.
      appendFileSync(log, 'banner\n');
      await waitFor(async () => (await stored('banner')).length >= 2 || follower.stderr().includes('NOT stored'), {
        timeoutMs: 30_000,
      }).catch(() => undefined);
      expect(await stored('banner'), follower.stderr()).toEqual(['banner', 'banner']);
    } finally {
      follower.child.kill('SIGTERM');
      await follower.exited;
    }
  }, 60_000);

  it('killed after the server stored its batch but before noting it: the batch sent again is the same body, replayed, and pipe exits 0', async () => {
    mkdirSync(join(dir.path, 'resend'));
    const log = join(dir.path, 'resend', 'app.log');
    const checkpoint = join(dir.path, 'resend', 'follow.checkpoint');
    const text = (): string => {
      try {
        return readFileSync(checkpoint, 'utf8');
      } catch {
        return '';
      }
    };
    writeFileSync(log, lines(0, 50));
    // The server stopped: the follower's batch stays in flight; the checkpoint saying so is kept aside.
    server.child.kill('SIGSTOP');
    const follower = livelog(args('resend', false));
    let inflight = '';
    try {
      await waitFor(() => text().includes('"inflight"'), { timeoutMs: 30_000, what: 'a batch in flight' });
      inflight = text();
      server.child.kill('SIGCONT');
      await waitFor(async () => (await stored('resend')).length >= 50 && !text().includes('"inflight"'), {
        timeoutMs: 30_000,
        what: 'the batch stored and noted',
      });
    } finally {
      server.child.kill('SIGCONT');
      follower.child.kill('SIGKILL');
      await follower.exited;
    }
    // The crash window: the server stored the batch, the checkpoint still names it in flight.
    writeFileSync(checkpoint, inflight);
    const run = livelog(args('resend', true));
    const { code } = await run.exited;
    expect(code, run.stderr()).toBe(0);
    expect(await stored('resend'), run.stderr()).toEqual(numbered(0, 50));
  }, 60_000);
});
