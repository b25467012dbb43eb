import type { LineBatch } from './followed-file.js';

/**
 * What a refused batch means, said on stderr with its line count: 'rejected' for lines not stored.
 * A refused batch is not sent again (it would be refused again): its lines are skipped, counted, and
 * `livelog pipe` exits 1 at the end, as `tail -F`-like shippers count what they drop.
 *
 * LIVELOG_ERR_INGEST_IDEMPOTENCY_MISMATCH means the server holds a different batch under the key:
 * these lines were not stored as sent, so it is a refusal too, never taken as stored. The one
 * exception: a batch re-sent from a checkpoint of an older livelog, which did not keep the read
 * time, differs from the stored one only by the time given to lines that state none.
 */
export function refusal(
  batch: LineBatch,
  outcome: { code?: string; message: string },
  say: (text: string) => void,
): 'acknowledged' | 'rejected' {
  const lines = countLines(batch.bytes);
  const what = `${lines} line${lines === 1 ? '' : 's'} (bytes ${batch.start}..${batch.end} of ${batch.file.name})`;
  if (outcome.code === 'LIVELOG_ERR_INGEST_IDEMPOTENCY_MISMATCH') {
    if (batch.bodyUnknown) {
      say(`${what} were stored before the restart, with the times they were first read at`);
      return 'acknowledged';
    }
    say(
      `${what} NOT stored: the server holds a different batch under Idempotency-Key ${batch.key} [${outcome.code}]; skipped, livelog pipe will exit 1`,
    );
    return 'rejected';
  }
  say(`the server refused ${what}${outcome.code ? ` [${outcome.code}]` : ''}: ${outcome.message}; skipped, livelog pipe will exit 1`);
  return 'rejected';
}

/** Lines in `bytes`, a last one without a newline included. */
function countLines(bytes: Buffer): number {
  let lines = 0;
  for (let at = bytes.indexOf(0x0a); at !== -1; at = bytes.indexOf(0x0a, at + 1)) lines++;
  return lines + (bytes.length > 0 && bytes[bytes.length - 1] !== 0x0a ? 1 : 0);
}
