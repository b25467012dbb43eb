import { isMainThread } from 'node:worker_threads';

/**
 * Preloaded (`node --import`) into servers that tests spawn: the test process holds the write end of
 * the server's stdin, so when that process goes, killed by its runner after a timeout included, stdin
 * ends and the server follows instead of running on as an orphan. Worker threads inherit the preload
 * and have a stdin of their own that ends at once: only the main thread watches.
 */
if (isMainThread) {
  process.stdin.on('end', () => process.exit(1));
  process.stdin.on('error', () => process.exit(1));
  process.stdin.resume();
  // Reading stdin must not keep a server alive that would otherwise exit.
  (process.stdin as { unref?: () => void }).unref?.();
}
