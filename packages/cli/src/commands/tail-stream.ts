import { type EndInfo, fetchStreamInfo, isLivelogClientError } from '@livelog/client';

/**
 * The exit code of `livelog tail --stream` after the stream's end: its `exitCode` when it fits a
 * process exit code (0..255), 255 above that and below 0 (a failure must never read as success, and
 * POSIX itself turns `exit(-1)` into 255), and 0 when the writer gave only a reason.
 */
export function exitCodeOfEnd(end: EndInfo): number {
  const code = end.exitCode;
  if (code === undefined) return 0;
  return code >= 0 && code <= 255 ? code : 255;
}

/** The final line `tail` prints on stderr: `stream build-1 ended · exit 3 (signal SIGTERM)`. */
export function describeEnd(name: string, end: EndInfo): string {
  const parts = [`stream ${name} ended`];
  if (end.exitCode !== undefined) parts.push(`exit ${end.exitCode}`);
  const reason = end.reason === undefined ? '' : ` (${end.reason})`;
  return `${parts.join(' · ')}${reason}`;
}

/** What `waitForStream` needs. */
export interface WaitForStreamOptions {
  url: string;
  stream: string;
  token?: string;
  signal: AbortSignal;
  /** Told once, when the stream does not exist yet. */
  onWaiting: () => void;
  /** Between two looks, in ms. Defaults to 1,000. */
  intervalMs?: number;
}

/**
 * Resolves once the stream exists (a job's stream is created by its first line, which may come after
 * `tail` started), or when aborted. Any answer but "no such stream" resolves too: the stream's own
 * request then reports it (auth, a wrong URL) as it would have.
 */
export async function waitForStream(options: WaitForStreamOptions): Promise<void> {
  let told = false;
  while (!options.signal.aborted) {
    try {
      await fetchStreamInfo(options.url, options.stream, {
        ...(options.token ? { token: options.token } : {}),
        signal: options.signal,
      });
      return;
    } catch (error) {
      if (!isLivelogClientError(error) || error.code !== 'LIVELOG_CLIENT_ERR_STREAM_NOT_FOUND') return;
    }
    if (!told) {
      told = true;
      options.onWaiting();
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, options.intervalMs ?? 1000);
      options.signal.addEventListener('abort', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
