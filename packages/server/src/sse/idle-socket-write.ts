import { writeSync, writevSync } from 'node:fs';
import type { Socket } from 'node:net';

const WINDOWS = process.platform === 'win32';

/** What an idle write needs of a socket's libuv handle: its descriptor and its write queue. */
interface FdHandle {
  fd: number;
  writeQueueSize: number;
}

/** The socket's open libuv handle, where it has a write queue (TLS: the queue is not the descriptor's). */
function openHandle(socket: Socket): Partial<FdHandle> | undefined {
  if ('encrypted' in socket || socket.destroyed) return undefined;
  const handle = (socket as unknown as { _handle?: Partial<FdHandle> | null })._handle;
  return typeof handle?.writeQueueSize === 'number' ? handle : undefined;
}

/**
 * The descriptor under `socket` (plain TCP or a pipe), or -1: TLS, Windows, closed. It stays the
 * same while the socket is open, so a caller writing often may keep it: reading it is a C++ call
 * (~3% of an idle server's samples at 20,000 readers).
 */
export function socketFd(socket: Socket): number {
  // Windows' sockets are not CRT descriptors that fs.writeSync could write to.
  if (WINDOWS) return -1;
  const fd = openHandle(socket)?.fd;
  return typeof fd === 'number' ? fd : -1;
}

/** The error codes of a write that the socket's own path reports better (or retries) than this one. */
function isErrno(error: unknown): boolean {
  return typeof (error as { code?: unknown } | null)?.code === 'string';
}

/**
 * Writes `pieces` to `socket`, in order, straight to its descriptor (one `writev(2)`) when nothing of
 * the socket's waits anywhere before the kernel; otherwise, and for what the kernel did not take, with
 * `socket.write`. The bytes keep their place after everything written before. Returns how many bytes
 * went to the descriptor (0 when none did); whether the socket's queue has room afterwards is its own
 * `writableNeedDrain`, and its `drain` comes as for any write when it has none.
 *
 * Why: `socket.write` costs 3–11 µs of user CPU around the system call (Writable's state, a WriteWrap
 * object, the after-write tick), the descriptor write 1–5 µs; the system call itself is ~8–14 µs of
 * kernel time either way (bench/manual/heartbeat-floor.mjs; bench/README.md, issue 12 item 7). A
 * heartbeat is one such write to each idle reader every interval, a fan-out one to each live reader
 * per batch.
 *
 * Safe only while the socket's queues are empty: the caller checks what is outside the socket (an
 * HTTP response's own buffer); this checks the socket's buffer (corked writes included) and libuv's
 * write queue. A full send buffer (EAGAIN), a short write, or a dead peer (EPIPE, ECONNRESET) hands
 * the rest to `socket.write`, which queues the bytes or reports the error the way every other write
 * does. The bytes do not count in the socket's `bytesWritten` (nor libuv's): callers that need them
 * count the return value. `fd`: the socket's (socketFd), kept by the caller.
 */
export function writevWhenIdle(socket: Socket, pieces: readonly Buffer[], fd = socketFd(socket)): number {
  const idle = fd >= 0 && socket.writableLength === 0 && socket.writableCorked === 0 && !socket.writableEnded;
  const handle = idle ? openHandle(socket) : undefined;
  let written = 0;
  if (handle !== undefined && handle.writeQueueSize === 0) {
    try {
      written = pieces.length === 1 ? writeSync(fd, pieces[0] as Buffer) : writevSync(fd, pieces as Buffer[]);
    } catch (error) {
      if (!isErrno(error)) throw error;
    }
  }
  let skip = written;
  let first = 0;
  while (first < pieces.length && skip >= (pieces[first] as Buffer).length) skip -= (pieces[first++] as Buffer).length;
  if (first === pieces.length) return written;
  // The rest in one libuv write, as the response's own chunk framing goes.
  const several = pieces.length - first > 1;
  if (several) socket.cork();
  for (let i = first; i < pieces.length; i++)
    socket.write(i === first && skip > 0 ? (pieces[i] as Buffer).subarray(skip) : (pieces[i] as Buffer));
  if (several) socket.uncork();
  return written;
}

/** writevWhenIdle of one buffer. */
export function writeWhenIdle(socket: Socket, bytes: Buffer, fd = socketFd(socket)): number {
  return writevWhenIdle(socket, [bytes], fd);
}
