import { randomBytes } from 'node:crypto';
import { deleteStream, endStream, type LivelogClientError, type LogStream, openStream, type StreamStats, setStream } from '@livelog/client';
import { decodeCursor, type IngestReply, quoteQueryTerm } from '@livelog/protocol';
import { type CutReport, createCuttingFetch } from './cutting-fetch.js';
import { VERIFY_SOURCE, type VerifyResult } from './verify.js';

/**
 * Fewer bytes than the SSE frame of any verify line takes (`id:` line, `data:` with id, seq, time,
 * level, source, msg and fields: over 200 bytes), so that byte budgets sized by it run out in time.
 */
const MIN_FRAME_BYTES = 150;

/** Options of runVerify. */
export interface VerifyOptions {
  url: string;
  token?: string;
  count: number;
  batch: number;
  cuts: number;
  timeoutMs: number;
  /** The stream to use; default a fresh `livelog-verify-<run>`, ended and deleted afterwards. */
  stream?: string;
  /** Keep the fresh stream (no delete). Defaults to false. */
  keep?: boolean;
  /** Told what could not be cleaned up. */
  onNotice?: (text: string) => void;
}

/** One verify run; throws when the lines cannot be written or the stream refuses the reader. */
export async function runVerify(options: VerifyOptions): Promise<VerifyResult> {
  const run = randomBytes(6).toString('hex');
  const fresh = options.stream === undefined;
  const stream = options.stream ?? `livelog-verify-${run}`;
  const cutting = createCuttingFetch({
    cuts: options.cuts,
    // Every budget stays below count × MIN_FRAME_BYTES / cuts, and the lines alone are more bytes
    // than that, so every cut asked for happens before the last line arrives.
    maxBytes: Math.max(1, Math.floor((options.count * MIN_FRAME_BYTES) / Math.max(1, options.cuts))),
  });
  const seen = new Map<number, number>();
  let deliveries = 0;
  let highest = 0;
  let reordered = 0;
  // Created before the reader opens it: a reader of a stream that does not exist yet gets a 404.
  // A stream named with --stream is created the same way when it does not exist, its labels left alone.
  await setStream(
    options.url,
    stream,
    fresh ? { labels: { tool: 'livelog-verify' } } : {},
    options.token ? { token: options.token } : {},
  ).catch((error: unknown) => {
    const status = (error as LivelogClientError).status;
    const hint = status === 401 || status === 403 ? ' (verify needs a token with the ingest scope: --token)' : '';
    throw new Error(`cannot create stream ${stream}: ${(error as Error).message}${hint}`);
  });
  const reader = openStream({
    url: options.url,
    ...(options.token ? { token: options.token } : {}),
    stream,
    filter: { source: VERIFY_SOURCE, q: quoteQueryTerm(run) },
    // Its own cuts are not outages: a short cap keeps resume latency about resuming, not about waiting.
    backoff: { baseMs: 5, maxMs: 50 },
    fetch: cutting.fetch,
  });
  let fatal: LivelogClientError | undefined;
  reader.on('error', (error) => {
    fatal = error;
  });
  reader.on('entries', (batch) => {
    for (const entry of batch) {
      const n = (entry.fields as { n?: unknown } | undefined)?.n;
      if (typeof n !== 'number') continue;
      deliveries++;
      seen.set(n, (seen.get(n) ?? 0) + 1);
      if (n < highest) reordered++;
      highest = Math.max(highest, n);
    }
  });
  try {
    // Read from the moment before the first line is written: the first hello fixes that position.
    await until(
      () => reader.stats().attempts > 0 && reader.lastEventId !== '',
      options.timeoutMs,
      () => fatal,
    );
    const lastSeq = await writeLines(options, stream, run);
    const deadline = Date.now() + options.timeoutMs;
    const timedOut = !(await until(
      () => cursorSeq(reader) >= lastSeq,
      options.timeoutMs,
      () => fatal,
    ));
    // A cut can land after the last line. Stopping then would leave it without its reconnect, and a
    // snapshot taken between a cut and the reader noticing it would count the cut but not its
    // reconnect: so wait until the reader is open on a connection newer than the last cut, and
    // read both counts in that same turn.
    let snapshot: { stats: StreamStats; cuts: CutReport } | undefined;
    const settled = (): boolean => {
      // Every line is in: a reader stopped now (a fatal error) only leaves the counts as they are.
      if (reader.status.state === 'closed') return true;
      if (reader.status.state !== 'open' || cutting.report.connections <= cutting.report.lastCutConnection) return false;
      snapshot = { stats: reader.stats(), cuts: { ...cutting.report } };
      return true;
    };
    if (!timedOut) await until(settled, Math.max(0, deadline - Date.now()), () => undefined);
    const { stats, cuts } = snapshot ?? { stats: reader.stats(), cuts: { ...cutting.report } };
    const received = seen.size;
    const duplicated = deliveries - received + stats.duplicates;
    const result: VerifyResult = {
      url: options.url,
      run,
      source: VERIFY_SOURCE,
      stream,
      deleted: false,
      sent: options.count,
      received,
      lost: options.count - received,
      duplicated,
      reordered: reordered + stats.outOfOrder,
      gaps: stats.gaps,
      missedInGaps: stats.missedInGaps,
      cuts: cuts.cuts,
      midEventCuts: cuts.midEvent,
      cutsBeforeHello: cuts.beforeHello,
      reconnects: stats.reconnects,
      meanResumeMs: stats.meanResumeMs,
      maxResumeMs: stats.maxResumeMs,
      timedOut,
      passed: false,
    };
    result.passed = result.lost === 0 && result.duplicated === 0 && result.reordered === 0;
    reader.close();
    if (fresh) result.deleted = await cleanUp(options, stream);
    return result;
  } finally {
    reader.close();
  }
}

/**
 * Ends the fresh stream (ingest scope), then deletes it (admin scope) unless `keep`. An ended stream
 * that cannot be deleted is left to retention: it is marked as done and readers of it stop.
 */
async function cleanUp(options: VerifyOptions, stream: string): Promise<boolean> {
  const auth = options.token ? { token: options.token } : {};
  try {
    await endStream(options.url, stream, { exitCode: 0, reason: 'livelog verify done' }, auth);
  } catch (error) {
    options.onNotice?.(`could not end stream ${stream}: ${(error as Error).message}`);
  }
  if (options.keep) return false;
  try {
    await deleteStream(options.url, stream, auth);
    return true;
  } catch (error) {
    const status = (error as LivelogClientError).status;
    const why = status === 401 || status === 403 ? 'deleting needs a token with the admin scope' : (error as Error).message;
    options.onNotice?.(`stream ${stream} was kept, ended (${why}); retention removes it`);
    return false;
  }
}

/** Writes the marked lines in batches; each batch is retried under one Idempotency-Key until stored. */
async function writeLines(options: VerifyOptions, stream: string, run: string): Promise<number> {
  let lastSeq = 0;
  for (let from = 1, batch = 0; from <= options.count; from += options.batch, batch++) {
    let body = '';
    for (let n = from; n < from + options.batch && n <= options.count; n++) {
      body += `${JSON.stringify({ msg: `livelog verify ${run} ${n}/${options.count}`, source: VERIFY_SOURCE, level: 'info', run, n })}\n`;
    }
    const headers: Record<string, string> = { 'content-type': 'application/x-ndjson', 'idempotency-key': `livelog-verify-${run}-${batch}` };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    for (let attempt = 0; ; attempt++) {
      let response: Response | undefined;
      try {
        response = await fetch(`${options.url.replace(/\/+$/, '')}/api/streams/${stream}/logs`, { method: 'POST', headers, body });
      } catch (error) {
        if (attempt >= 20) throw new Error(`cannot write lines: ${(error as Error).message}`);
      }
      if (response?.ok) {
        const reply = (await response.json()) as IngestReply;
        const decoded = decodeCursor(reply.lastId);
        if (decoded.ok) lastSeq = decoded.cursor.seq;
        break;
      }
      if (response !== undefined && response.status < 500 && response.status !== 429) {
        const text = await response.text();
        const hint = response.status === 401 || response.status === 403 ? ' (verify needs a token with the ingest scope: --token)' : '';
        throw new Error(`the server refused the lines: HTTP ${response.status} ${text}${hint}`);
      }
      if (attempt >= 20) throw new Error(`the server kept failing: HTTP ${response?.status}`);
      await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 10 * 2 ** attempt)));
    }
  }
  return lastSeq;
}

function cursorSeq(stream: LogStream): number {
  const decoded = decodeCursor(stream.lastEventId);
  return decoded.ok ? decoded.cursor.seq : 0;
}

/** Resolves true once `condition` holds, false on timeout; throws the stream's fatal error. */
async function until(condition: () => boolean, timeoutMs: number, fatal: () => LivelogClientError | undefined): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  return new Promise<boolean>((resolve, reject) => {
    const check = (): void => {
      const error = fatal();
      if (error !== undefined) {
        reject(new Error(`${error.message}${error.status === 401 || error.status === 403 ? ' (verify needs a read token: --token)' : ''}`));
      } else if (condition()) resolve(true);
      else if (Date.now() > deadline) resolve(false);
      else setTimeout(check, 20);
    };
    check();
  });
}

export function describeResult(result: VerifyResult): string {
  const ms = (value: number | undefined): string => (value === undefined ? '-' : `${Math.round(value * 10) / 10} ms`);
  const lines = [
    `livelog verify ${result.url}: run ${result.run}, stream ${result.stream}${result.deleted ? ' (deleted afterwards)' : ''}, source ${result.source}`,
    `  sent        ${result.sent}`,
    `  received    ${result.received}`,
    `  lost        ${result.lost}`,
    `  duplicated  ${result.duplicated}`,
    `  reordered   ${result.reordered}`,
    `  gaps        ${result.gaps} (${result.missedInGaps} entries removed by retention)`,
    `  cuts        ${result.cuts} (${result.midEventCuts} inside an event, ${result.cutsBeforeHello} before hello)`,
    `  reconnects  ${result.reconnects}`,
    `  resume      mean ${ms(result.meanResumeMs)}, max ${ms(result.maxResumeMs)}`,
  ];
  if (result.timedOut) lines.push('  timed out before every line was read back');
  lines.push(result.passed ? 'PASS: every line arrived exactly once, in order' : 'FAIL: the stream lost, repeated or reordered lines');
  return `${lines.join('\n')}\n`;
}
