import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createKeyedBatchSender } from '@livelog/client';
import { LineSplitter } from '../ingest/line-splitter.js';
import { type Checkpoint, readCheckpoint, writeCheckpoint } from './follow-checkpoint.js';
import { type JournalRecord, mapJournalLine } from './journal-record.js';

/** Options of `followJournal`. */
export interface FollowJournalOptions {
  url: string;
  token?: string;
  /** The named stream the lines go to; none: `default`. */
  stream?: string;
  checkpointPath: string;
  fromStart: boolean;
  once: boolean;
  unit?: string;
  /** journalctl --directory: journal files of another machine or a test. */
  directory?: string;
  say(text: string): void;
  /** The journalctl to run. Defaults to `journalctl` on the PATH. */
  journalctl?: string;
}

const MAX_BATCH = 5_000;
/** Entries read ahead of the server; past this journalctl's output is no longer read (it blocks). */
const HIGH_WATER = 50_000;

/**
 * `livelog pipe --journal`: runs `journalctl -o json --follow` from the checkpointed `__CURSOR`
 * (`--after-cursor`) and ships its entries in batches, one in flight. The checkpoint names the
 * cursor acknowledged, and while a batch is on the wire its first and last cursors and key, so a
 * restart sends that same batch again first and the server stores it once.
 */
export async function followJournal(options: FollowJournalOptions, signal: AbortSignal): Promise<{ batches: number; rejected: number }> {
  const checkpoint: Checkpoint = readCheckpoint(options.checkpointPath) ?? { version: 1, files: [] };
  let acked = checkpoint.journal?.cursor || undefined;
  let resend = checkpoint.journal?.inflight;
  if (resend !== undefined && resend.after !== acked) resend = undefined;
  const args = ['-o', 'json', '--no-pager'];
  if (!options.once) args.push('--follow');
  if (options.directory !== undefined) args.push('--directory', options.directory);
  if (options.unit !== undefined) args.push('--unit', options.unit);
  if (acked !== undefined) args.push('--after-cursor', acked, '--lines=all');
  else if (!options.fromStart && !options.once) args.push('--lines=0');
  const child = spawn(options.journalctl ?? 'journalctl', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const ended = new Promise<number | null>((resolve) => {
    child.once('close', (code) => resolve(code));
    child.once('error', (error) => {
      stderr += error.message;
      resolve(-1);
    });
  });
  let done = false;
  void ended.then(() => {
    done = true;
    wake();
  });
  const queue: JournalRecord[] = [];
  let wake = (): void => undefined;
  const splitter = new LineSplitter((text) => {
    const record = mapJournalLine(text);
    if (record === undefined) return;
    queue.push(record);
    if (queue.length >= HIGH_WATER) child.stdout.pause();
    wake();
  });
  child.stdout.on('data', (chunk: Buffer) => splitter.push(chunk));
  const onAbort = (): void => {
    child.kill('SIGTERM');
    wake();
  };
  signal.addEventListener('abort', onAbort, { once: true });

  let failing = false;
  const sender = createKeyedBatchSender(
    { url: options.url, ...(options.token ? { token: options.token } : {}), ...(options.stream ? { stream: options.stream } : {}) },
    (retry) => {
      if (failing) return;
      failing = true;
      options.say(`cannot deliver to ${options.url} (${retry.message}); retrying, the journal cursor waits`);
    },
  );
  const save = (inflight?: { after: string | undefined; last: string; key: string }): void => {
    checkpoint.journal =
      acked === undefined ? { cursor: '', ...(inflight ? { inflight } : {}) } : { cursor: acked, ...(inflight ? { inflight } : {}) };
    writeCheckpoint(options.checkpointPath, checkpoint);
  };
  let batches = 0;
  let rejected = 0;
  while (!signal.aborted) {
    if (queue.length === 0 || (resend !== undefined && !queue.some((record) => record.cursor === resend?.last) && !done)) {
      if (done) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      continue;
    }
    let count = Math.min(queue.length, MAX_BATCH);
    let key: string | undefined;
    if (resend !== undefined) {
      const index = queue.findIndex((record) => record.cursor === resend?.last);
      if (index >= 0) {
        count = index + 1;
        key = resend.key;
      }
      resend = undefined;
    }
    const batch = queue.slice(0, count);
    const last = (batch[batch.length - 1] as JournalRecord).cursor;
    key ??= `llj-${createHash('sha256')
      .update(`${acked ?? ''}\n${last}`)
      .digest('hex')
      .slice(0, 40)}`;
    save({ after: acked, last, key });
    const outcome = await sender.send(key, batch.map((record) => record.line).join('\n'), signal);
    if (outcome === undefined) break;
    failing = false;
    // A batch is the entries between two cursors, mapped from the journal alone: sent again, it has the same
    // body. A key held for another body therefore means these entries were not stored: refused, never taken as stored.
    if (outcome.kind === 'rejected') {
      const why =
        outcome.code === 'LIVELOG_ERR_INGEST_IDEMPOTENCY_MISMATCH'
          ? `the server holds a different batch under Idempotency-Key ${key}`
          : `the server refused them: ${outcome.message}`;
      options.say(
        `${batch.length} journal entries NOT stored: ${why}${outcome.code ? ` [${outcome.code}]` : ''}; skipped, livelog pipe will exit 1`,
      );
      rejected++;
    }
    batches++;
    queue.splice(0, count);
    acked = last;
    save();
    if (queue.length < HIGH_WATER / 2) child.stdout.resume();
  }
  signal.removeEventListener('abort', onAbort);
  if (!done) child.kill('SIGTERM');
  const code = await ended;
  if (!signal.aborted && code !== 0) throw new Error(`journalctl exited with ${code}: ${stderr.trim().slice(0, 500)}`);
  return { batches, rejected };
}
