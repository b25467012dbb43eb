import type { PostOutcome } from './post-batch.js';
import type { SpoolRef } from './shipper-spool.js';

/** The spool frame a batch came from; acknowledged once every record of it is settled. */
export interface RootFrame {
  key: string;
  ref: SpoolRef | undefined;
  /** Records of the frame not settled yet. */
  remaining: number;
}

/** A sealed batch: its key and body never change, so every attempt is a true retry. */
export interface Batch {
  key: string;
  source: string | undefined;
  records: number;
  /** Length of the body (UTF-16 code units, the unit of the memory bound). */
  bytes: number;
  /** Undefined while the body lives only in the spool. */
  body: string | undefined;
  /** Position of the first record among all records the shipper handled, from 1. */
  first: number;
  root: RootFrame;
  /** Offset of this batch's first record within its root frame (pieces of a split frame). */
  offset: number;
  /** True once the root frame is durable in the spool. */
  onDisk: boolean;
  /** Resolves once the batch is in the spool (or failed to get there, or there is no spool). Never rejects. */
  persisted: Promise<void>;
  /** Set on a piece the server already refused: it is settled as rejected without being sent. */
  refused?: Extract<PostOutcome, { kind: 'rejected' }> | { kind: 'rejected'; status: 0; message: string; code?: string };
}

/**
 * The pieces a refused batch is cut into, in order. The server answers a bad line with its number
 * (400 or 413 line too long): the lines before it and after it are good and are sent again, the
 * line itself is refused. A body refused as a whole for its size (413) is halved. Anything else
 * refuses the whole batch. Nothing of a refused batch was stored (batches are atomic), so sending
 * its good lines again stores each exactly once. Piece keys derive from the frame's key and the
 * piece's range, so a restarted shipper cutting the same frame again sends the same keys.
 */
export function cutRefused(batch: Batch & { body: string }, outcome: Extract<PostOutcome, { kind: 'rejected' }>): Batch[] {
  const lines = batch.body.split('\n');
  lines.pop();
  const piece = (from: number, to: number, refused?: Batch['refused']): Batch => {
    const body = `${lines.slice(from, to).join('\n')}\n`;
    const offset = batch.offset + from;
    return {
      key: `${batch.root.key}~${offset}-${batch.offset + to}`,
      source: batch.source,
      records: to - from,
      bytes: body.length,
      body,
      first: batch.first + from,
      root: batch.root,
      offset,
      onDisk: batch.onDisk,
      persisted: batch.persisted,
      ...(refused === undefined ? {} : { refused }),
    };
  };
  const n = lines.length;
  const bad = outcome.line;
  if (bad !== undefined && bad >= 1 && bad <= n && (outcome.status === 400 || outcome.status === 413) && n > 1) {
    const pieces: Batch[] = [];
    if (bad > 1) pieces.push(piece(0, bad - 1));
    pieces.push(piece(bad - 1, bad, outcome));
    if (bad < n) pieces.push(piece(bad, n));
    return pieces;
  }
  if (outcome.status === 413 && bad === undefined && n > 1) {
    const half = Math.ceil(n / 2);
    return [piece(0, half), piece(half, n)];
  }
  return [piece(0, n, outcome)];
}
