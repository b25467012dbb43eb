import type { SseSink } from '../sse/sse-sink.js';

/** Pieces of one write up to this size are joined into one chunk (one syscall); larger ones go as they are. */
const JOIN_MAX_BYTES = 64 * 1024;

/**
 * Writes `buffers` then `text` to `sink`: small pieces joined into one chunk, large ones as they are
 * (copying a 200 KB catch-up page to append a `lag` event cost more than a second write). False when
 * the socket's buffer is over its mark.
 */
export function writeChunks(sink: SseSink, buffers: readonly Buffer[], text: string): boolean {
  const pieces: (Buffer | string)[] = text === '' ? [...buffers] : [...buffers, text];
  if (pieces.length === 0) return true;
  const bytes = buffers.reduce((sum, buffer) => sum + buffer.length, text.length);
  if (pieces.length > 1 && bytes <= JOIN_MAX_BYTES) {
    return sink.write(Buffer.concat(pieces.map((piece) => (typeof piece === 'string' ? Buffer.from(piece) : piece))));
  }
  let room = true;
  for (const piece of pieces) room = sink.write(piece) && room;
  return room;
}
