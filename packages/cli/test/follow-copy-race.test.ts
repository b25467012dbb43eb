import { appendFileSync, copyFileSync, mkdirSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createKeyedBatchSender } from '@livelog/client';
import { type SpawnedServer, spawnServer, tempDir } from '@livelog/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileFollower } from '../src/follow/file-follower.js';
import { encodeLine } from '../src/ingest/line-record.js';
import { LineSplitter } from '../src/ingest/line-splitter.js';
import { lines, numbered, storedMessages } from './support/follow-log.js';

/**
 * Regression: FileFollower#take looked for an unseen copy (#refresh) and then read the file. A file
 * seen empty (its fingerprint empty, so no truncation check can fail) that was filled, copy-truncated
 * and refilled between the two had its refill read as its first lines and taken as its fingerprint:
 * the copy (the lines before) was never read. CI hit it once in follow-restart.test.ts, a SIGSTOP
 * landing in that window. Here the files change in that very window, through `beforeRead`, every time.
 */

let server: SpawnedServer;
let dir: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  dir = await tempDir('livelog-follow-copy-race-');
  server = await spawnServer({ dataDir: join(dir.path, 'data'), logLevel: 'warn' });
});
afterAll(async () => {
  await server.kill('SIGTERM');
  await dir.remove();
});

/**
 * Follows `name`/app.log (seen empty first) with `--once`, running `changes` in turn between a look
 * and the read that follows, one per pass (the first one between the first look and the first read).
 */
async function followOnce(name: string, ...changes: ((log: string) => void)[]): Promise<{ stored: string[]; said: string[] }> {
  mkdirSync(join(dir.path, name));
  const log = join(dir.path, name, 'app.log');
  writeFileSync(log, '');
  const said: string[] = [];
  const follower = new FileFollower({
    patterns: [log],
    checkpointPath: join(dir.path, name, 'follow.checkpoint'),
    fromStart: true,
    once: true,
    pollMs: 10,
    senderFor: () => createKeyedBatchSender({ url: server.url, source: 'app.log', stream: name }),
    encode(bytes, _flushPartial, readAt) {
      const records: string[] = [];
      const splitter = new LineSplitter((text, invalidUtf8) => records.push(encodeLine(text, invalidUtf8, readAt, { level: 'info' })));
      splitter.push(bytes);
      splitter.end();
      return records.join('\n');
    },
    say: (text) => said.push(text),
    beforeRead() {
      changes.shift()?.(log);
    },
  });
  await follower.run(AbortSignal.timeout(60_000));
  expect(changes).toEqual([]);
  return { stored: await storedMessages(server.url, name), said };
}

describe('pipe --follow: a copytruncate between the look for copies and the read', () => {
  it('seen empty, then filled, copy-truncated and refilled: the copy is read, then the refill, each line once', async () => {
    const { stored, said } = await followOnce('once-copied', (log) => {
      appendFileSync(log, lines(0, 500));
      copyFileSync(log, `${log}.1`);
      truncateSync(log, 0);
      appendFileSync(log, lines(500, 1000));
    });
    expect(stored, said.join('\n')).toEqual(numbered(0, 1000));
  });

  it('seen empty, then filled, copy-truncated and refilled with a line not ended yet: the copy is read first', async () => {
    const { stored, said } = await followOnce(
      'partial-refill',
      (log) => {
        appendFileSync(log, lines(0, 500));
        copyFileSync(log, `${log}.1`);
        truncateSync(log, 0);
        appendFileSync(log, 'line 500');
      },
      // A pass later: the refill's first line ends, and more follow.
      (log) => appendFileSync(log, `\n${lines(501, 1000)}`),
    );
    expect(stored, said.join('\n')).toEqual(numbered(0, 1000));
  });

  it('seen empty, then copy-truncated twice (two copies) and refilled: both copies in order, then the refill', async () => {
    const { stored, said } = await followOnce('twice-copied', (log) => {
      appendFileSync(log, lines(0, 300));
      copyFileSync(log, `${log}.1`);
      truncateSync(log, 0);
      appendFileSync(log, lines(300, 600));
      copyFileSync(log, `${log}.2`);
      truncateSync(log, 0);
      appendFileSync(log, lines(600, 900));
      // Copies are ordered by when they were written; made within one clock tick here, so told apart by hand.
      const now = Date.now() / 1000;
      utimesSync(`${log}.1`, now - 2, now - 2);
      utimesSync(`${log}.2`, now - 1, now - 1);
    });
    expect(stored, said.join('\n')).toEqual(numbered(0, 900));
  });
});
