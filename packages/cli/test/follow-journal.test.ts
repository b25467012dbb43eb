import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LogEntry } from '@livelog/protocol';
import { commandRuns, startServer, type TestServer, tempDir } from '@livelog/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { livelog } from './support/livelog-process.js';

/**
 * `livelog pipe --journal`: real journalctl reading journal files that systemd-journal-remote wrote
 * from export-format input; the mapping, --unit, and a second run resuming after the checkpointed
 * __CURSOR (nothing twice, nothing skipped).
 */
const REMOTE = ['/lib/systemd/systemd-journal-remote', '/usr/lib/systemd/systemd-journal-remote'].find((path) => existsSync(path));
const JOURNALCTL = commandRuns('journalctl');

let server: TestServer;
let dir: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  server = await startServer();
  dir = await tempDir('livelog-journal-');
});
afterAll(async () => {
  await server.close();
  await dir.remove();
});

/** Export-format entries `from..to` (journal-export(5)), every third one of unit b.service. */
function exportEntries(from: number, to: number): string {
  let text = '';
  for (let i = from; i < to; i++) {
    const unit = i % 3 === 0 ? 'b.service' : 'a.service';
    text += `MESSAGE=journal line ${i}\nPRIORITY=${i % 8}\nSYSLOG_IDENTIFIER=${unit.split('.')[0]}\n_SYSTEMD_UNIT=${unit}\n_PID=${100 + i}\n`;
    text += `__REALTIME_TIMESTAMP=${(Date.now() - 60_000) * 1000 + i}\n__MONOTONIC_TIMESTAMP=${i + 1}\n_BOOT_ID=0123456789abcdef0123456789abcdef\n\n`;
  }
  return text;
}

function writeJournal(name: string, from: number, to: number): void {
  const input = join(dir.path, `${name}.export`);
  writeFileSync(input, exportEntries(from, to));
  execFileSync(REMOTE as string, [`--output=${join(dir.path, 'journal', `${name}.journal`)}`, input], { stdio: 'ignore' });
}

async function run(args: string[]): Promise<string> {
  const pipe = livelog(['pipe', '--journal', '--journal-directory', join(dir.path, 'journal'), '--once', '--server', server.url, ...args]);
  const exit = await pipe.exited;
  expect(exit, pipe.stderr()).toEqual({ code: 0, signal: null });
  return pipe.stderr();
}

async function stored(): Promise<LogEntry[]> {
  const rows = await server.store.readAfter(0, 100_000);
  return rows.map((row) => JSON.parse(row.json) as LogEntry);
}

describe.skipIf(REMOTE === undefined || !JOURNALCTL)('pipe --journal', () => {
  it('maps entries, resumes after the checkpointed cursor, and filters by unit', async () => {
    execFileSync('mkdir', ['-p', join(dir.path, 'journal')]);
    writeJournal('one', 0, 3000);
    const checkpoint = join(dir.path, 'journal.checkpoint');
    await run(['--checkpoint', checkpoint, '--from-start']);
    let entries = await stored();
    expect(entries.map((entry) => entry.msg)).toEqual(Array.from({ length: 3000 }, (_, i) => `journal line ${i}`));
    const levels = ['fatal', 'fatal', 'fatal', 'error', 'warn', 'info', 'info', 'debug'];
    entries.forEach((entry, i) => {
      expect(entry.level).toBe(levels[i % 8]);
      expect(entry.source).toBe(i % 3 === 0 ? 'b' : 'a');
      expect(entry.fields).toMatchObject({ unit: i % 3 === 0 ? 'b.service' : 'a.service', pid: String(100 + i) });
    });

    // More entries, and a second run: exactly the new ones.
    writeJournal('two', 3000, 4000);
    await run(['--checkpoint', checkpoint]);
    entries = await stored();
    expect(entries.map((entry) => entry.msg)).toEqual(Array.from({ length: 4000 }, (_, i) => `journal line ${i}`));

    // --unit, with a checkpoint of its own.
    await run(['--checkpoint', join(dir.path, 'unit.checkpoint'), '--from-start', '--unit', 'b.service']);
    const unitEntries = (await stored()).slice(4000);
    expect(unitEntries.map((entry) => entry.msg)).toEqual(
      Array.from({ length: 4000 }, (_, i) => i)
        .filter((i) => i % 3 === 0)
        .map((i) => `journal line ${i}`),
    );
    // Three journal files written and three CLI runs: about a minute on a loaded 2-core machine.
  }, 180_000);

  it('a key the server holds for another batch: the entries are reported not stored, with their count, and pipe exits 1', async () => {
    const journal = join(dir.path, 'journal-mismatch');
    execFileSync('mkdir', ['-p', journal]);
    const input = join(dir.path, 'mismatch.export');
    writeFileSync(input, exportEntries(0, 10));
    execFileSync(REMOTE as string, [`--output=${join(journal, 'm.journal')}`, input], { stdio: 'ignore' });
    // The key of the first batch (from no cursor to the last entry's), taken first by another batch.
    const printed = execFileSync('journalctl', ['--directory', journal, '-o', 'json', '--no-pager'], { encoding: 'utf8' })
      .trim()
      .split('\n');
    const last = (JSON.parse(printed[printed.length - 1] as string) as { __CURSOR: string }).__CURSOR;
    const key = `llj-${createHash('sha256').update(`\n${last}`).digest('hex').slice(0, 40)}`;
    const planted = await fetch(`${server.url}/api/streams/journal-mismatch/logs`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson', 'idempotency-key': key },
      body: '{"msg":"another batch"}',
    });
    expect(planted.status).toBe(200);
    const pipe = livelog([
      'pipe',
      '--journal',
      '--journal-directory',
      journal,
      '--once',
      '--from-start',
      '--checkpoint',
      join(dir.path, 'mismatch.checkpoint'),
      '--server',
      server.url,
      '--stream',
      'journal-mismatch',
    ]);
    const exit = await pipe.exited;
    expect(pipe.stderr()).toMatch(/10 journal entries NOT stored: the server holds a different batch under Idempotency-Key llj-/);
    expect(pipe.stderr()).toContain('LIVELOG_ERR_INGEST_IDEMPOTENCY_MISMATCH');
    expect(exit.code).toBe(1);
  }, 60_000);
});
