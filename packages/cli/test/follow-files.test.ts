import { appendFileSync, closeSync, copyFileSync, ftruncateSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { LogEntry } from '@livelog/protocol';
import { type SpawnedServer, spawnServer, tempDir, waitFor } from '@livelog/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LivelogProcess, livelog } from './support/livelog-process.js';

/**
 * `livelog pipe --follow --checkpoint`: a writer appends 200,000 numbered lines while the file is
 * rotated by rename 5 times and by copytruncate 5 times, and the follower is kill -9'ed and restarted
 * 5 times (twice with a rotation while it is down). Every line must be stored exactly once, in order.
 */

let server: SpawnedServer;
let dir: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  dir = await tempDir('livelog-follow-');
  // A server process of its own: the writer in this process must not slow the server down, nor the other way round.
  server = await spawnServer({ dataDir: join(dir.path, 'data'), logLevel: 'warn' });
});
afterAll(async () => {
  await server.kill('SIGTERM');
  await dir.remove();
});

/** Every message stored, oldest first, through the history API. */
async function storedMessages(): Promise<string[]> {
  const messages: string[] = [];
  let position = 'from=start';
  for (;;) {
    const page = (await (await fetch(`${server.url}/api/logs?${position}&limit=1000`)).json()) as { entries: LogEntry[]; hasMore: boolean };
    for (const entry of page.entries) messages.push(entry.msg);
    const last = page.entries[page.entries.length - 1];
    if (!page.hasMore || last === undefined) return messages;
    position = `after=${encodeURIComponent(last.id)}`;
  }
}

async function storedCount(): Promise<number> {
  const page = (await (await fetch(`${server.url}/api/logs?limit=1`)).json()) as { entries: LogEntry[] };
  return page.entries[0]?.seq ?? 0;
}

/** What is wrong with `messages` as `prefix 0` .. `prefix n-1`: the first missing, duplicated or misplaced line. */
export function sequenceProblem(messages: readonly string[], prefix: string, n: number): string | undefined {
  for (let i = 0; i < Math.max(n, messages.length); i++) {
    const want = `${prefix} ${i}`;
    if (messages[i] !== want) return `at ${i}: expected ${JSON.stringify(want)}, got ${JSON.stringify(messages[i])}`;
  }
  return undefined;
}

describe('sequenceProblem', () => {
  it('catches a planted loss, duplicate, reordering and extra line', () => {
    const good = ['l 0', 'l 1', 'l 2', 'l 3'];
    expect(sequenceProblem(good, 'l', 4)).toBeUndefined();
    expect(sequenceProblem(['l 0', 'l 2', 'l 3'], 'l', 4)).toMatch(/^at 1/);
    expect(sequenceProblem(['l 0', 'l 1', 'l 1', 'l 2', 'l 3'], 'l', 4)).toMatch(/^at 2/);
    expect(sequenceProblem(['l 0', 'l 2', 'l 1', 'l 3'], 'l', 4)).toMatch(/^at 1/);
    expect(sequenceProblem([...good, 'l 0'], 'l', 4)).toMatch(/^at 4/);
  });
});

/**
 * Whether the checkpoint at `path` was written by process `pid`: a follower writes it once it has
 * looked at the files. Not by mtime: a follower killed just before might have written it a moment ago.
 */
function writtenBy(path: string, pid: number | undefined): boolean {
  try {
    return (JSON.parse(readFileSync(path, 'utf8')) as { writer?: number }).writer === pid;
  } catch {
    return false;
  }
}

describe('pipe --follow', () => {
  it('stores 200,000 lines exactly once, in order, across 10 rotations and 5 kill -9 restarts', async () => {
    const log = join(dir.path, 'app.log');
    const checkpoint = join(dir.path, 'follow.checkpoint');
    let fd = openSync(log, 'a');
    /**
     * Starts the follower and waits until it wrote its checkpoint: a follower killed before it ever
     * looked at the file cannot know what was rotated away meanwhile (nor could tail -F).
     */
    const start = async (): Promise<LivelogProcess> => {
      const child = livelog([
        'pipe',
        '--follow',
        log,
        '--checkpoint',
        checkpoint,
        '--from-start',
        '--server',
        server.url,
        '--source',
        'follow',
      ]);
      await waitFor(() => writtenBy(checkpoint, child.child.pid), { timeoutMs: 30_000 });
      return child;
    };
    let follower = await start();
    const stderr: string[] = [];
    const kill = async (): Promise<void> => {
      follower.child.kill('SIGKILL');
      await follower.exited;
      stderr.push(`killed: ${follower.stderr()}`);
    };
    let rotated = 0;
    const rename = (): void => {
      closeSync(fd);
      renameSync(log, `${log}.${++rotated}`);
      fd = openSync(log, 'a');
    };
    const copytruncate = (): void => {
      // logrotate's copytruncate: copy, then cut the file the writer keeps appending to (O_APPEND).
      copyFileSync(log, `${log}.${++rotated}`);
      ftruncateSync(fd, 0);
    };
    // 20 segments of 10,000 lines; after each but the last, one event.
    const events: (() => Promise<void> | void)[] = [
      rename,
      kill,
      copytruncate,
      async () => {
        await kill();
        rename();
      },
      copytruncate,
      rename,
      kill,
      copytruncate,
      rename,
      async () => {
        await kill();
        copytruncate();
      },
      () => undefined,
      rename,
      copytruncate,
      kill,
      () => undefined,
      () => undefined,
      () => undefined,
      () => undefined,
      () => undefined,
    ];
    const total = 200_000;
    let next = 0;
    for (let segment = 0; segment < 20; segment++) {
      for (let chunk = 0; chunk < 10; chunk++) {
        let text = '';
        for (let i = 0; i < 1000; i++) text += `line ${next++}\n`;
        writeSync(fd, text);
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      // Rotation tools act on files older than a moment; the follower looks at files every 100 ms.
      await new Promise((resolve) => setTimeout(resolve, 250));
      const event = events[segment];
      if (event !== undefined) await event();
      if (follower.child.exitCode !== null || follower.child.signalCode !== null) {
        if (follower.child.signalCode === null) stderr.push(`follower exited by itself (${follower.child.exitCode}): ${follower.stderr()}`);
        follower = await start();
      }
    }
    closeSync(fd);
    // On a timeout the check below says which line is missing.
    await waitFor(async () => (await storedCount()) >= total, { timeoutMs: 40_000 }).catch(() => undefined);
    // Give a duplicate the time to show up before looking.
    await new Promise((resolve) => setTimeout(resolve, 500));
    follower.child.kill('SIGTERM');
    await follower.exited;
    stderr.push(follower.stderr());
    const messages = await storedMessages();
    expect(sequenceProblem(messages, 'line', total), stderr.join('\n')).toBeUndefined();
    expect(messages.length).toBe(total);
  }, 120_000);

  it('with a glob: a file that appears later is read from its first line, one there before from its end', async () => {
    const globDir = join(dir.path, 'glob');
    mkdirSync(globDir);
    appendFileSync(join(globDir, 'a.log'), 'a before 1\na before 2\n');
    appendFileSync(join(globDir, 'other.txt'), 'not matched\n');
    const checkpoint = join(dir.path, 'glob.checkpoint');
    const follower = livelog([
      'pipe',
      '--follow',
      join(globDir, '*.log'),
      '--checkpoint',
      checkpoint,
      '--server',
      server.url,
      '--stream',
      'globs',
    ]);
    try {
      await waitFor(() => writtenBy(checkpoint, follower.child.pid), { timeoutMs: 30_000 });
      appendFileSync(join(globDir, 'a.log'), 'a after\n');
      appendFileSync(join(globDir, 'b.log'), 'b 1\nb 2\n');
      appendFileSync(join(globDir, 'late.txt'), 'not matched either\n');
      const stored = async (): Promise<LogEntry[]> => {
        const response = await fetch(`${server.url}/api/streams/globs/logs?from=start&limit=100`);
        return response.status === 200 ? ((await response.json()) as { entries: LogEntry[] }).entries : [];
      };
      await waitFor(async () => (await stored()).length >= 3, { timeoutMs: 30_000, what: 'the lines of a.log and b.log' });
      await new Promise((resolve) => setTimeout(resolve, 300));
      const entries = await stored();
      const bySource = (source: string): string[] => entries.filter((entry) => entry.source === source).map((entry) => entry.msg);
      expect(bySource('a.log'), follower.stderr()).toEqual(['a after']);
      expect(bySource('b.log'), follower.stderr()).toEqual(['b 1', 'b 2']);
      expect(entries).toHaveLength(3);
    } finally {
      follower.child.kill('SIGTERM');
      await follower.exited;
    }
  }, 60_000);
});
