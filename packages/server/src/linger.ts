import type { IncomingMessage } from 'node:http';

/** How long, and how much, the server keeps reading an upload it has already answered. */
export interface LingerLimits {
  /** Longest time spent reading after the answer, in ms. */
  maxMs: number;
  /** Longest pause in the upload, in ms. */
  idleMs: number;
  /** Most bytes read and discarded. */
  maxBytes: number;
}

/** Like nginx's lingering close (30 s, 5 s idle), with a byte cap so discarding costs little CPU. */
export const LINGER_LIMITS: Readonly<LingerLimits> = { maxMs: 30_000, idleMs: 5_000, maxBytes: 256 * 1024 * 1024 };

/**
 * Reads, and discards, the rest of `request`'s body when it is answered early (a 413 for a body over
 * the limit, a 503, a 401). Closing at once would be worse: the client's kernel gets a reset for every
 * byte it still sends, and a reset discards the answer it has not read yet, so a client that uploads
 * before reading sees "connection reset" instead of the 413. Once the body has arrived the connection
 * carries on (keep-alive); a client that uploads for longer than the limits allow is cut off.
 *
 * Call it before the answer is sent: Node drops the body of a request nobody reads once its answer
 * is out, unbounded and uncounted.
 */
export function lingerUntilUploaded(request: IncomingMessage, limits: LingerLimits = LINGER_LIMITS): void {
  if (request.complete || request.destroyed) return;
  const socket = request.socket;
  let bytes = 0;
  const cutOff = (): void => {
    stop();
    // Through the request (which destroys its socket): Fastify's inject() hands over a request whose
    // socket is a stand-in without destroy(), and a throw here would come from a timer, uncaught.
    request.destroy();
  };
  const total = setTimeout(cutOff, limits.maxMs).unref();
  const idle = setTimeout(cutOff, limits.idleMs).unref();
  const onData = (chunk: Buffer): void => {
    bytes += chunk.length;
    if (bytes > limits.maxBytes) cutOff();
    else idle.refresh();
  };
  const stop = (): void => {
    clearTimeout(total);
    clearTimeout(idle);
    request.off('data', onData);
    request.off('end', stop);
    socket.off('close', stop);
  };
  request.on('data', onData);
  request.once('end', stop);
  socket.once('close', stop);
  // A parser that gave up may still be piped from the body; unread, it would stall the upload.
  request.unpipe();
  request.resume();
}
