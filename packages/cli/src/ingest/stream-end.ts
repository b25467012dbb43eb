import { type EndStreamOptions, endStream, isLivelogClientError } from '@livelog/client';

/** How a wrapped command ended, as the stream's end records it. */
export function endOfExit(exit: { code: number | null; signal: NodeJS.Signals | null; signalNumber?: number }): EndStreamOptions {
  if (exit.signal !== null) {
    // The shell's convention (128 + n) keeps a killed job failing for `tail --stream`; the reason names the signal.
    return { ...(exit.signalNumber === undefined ? {} : { exitCode: 128 + exit.signalNumber }), reason: `signal ${exit.signal}` };
  }
  return exit.code === null ? { reason: 'no exit code' } : { exitCode: exit.code };
}

/** Options of `endWithRetries`. */
export interface EndTarget {
  url: string;
  stream: string;
  token?: string;
  /** Stop retrying after this long, in ms. */
  timeoutMs: number;
}

/**
 * Ends the stream, retrying network errors and 5xx (with backoff) until `timeoutMs`. A 409 on a retry
 * means an earlier attempt did end it and only its answer was lost: success. Resolves to undefined on
 * success, or to what went wrong, in words.
 */
export async function endWithRetries(target: EndTarget, end: EndStreamOptions): Promise<string | undefined> {
  const deadline = Date.now() + target.timeoutMs;
  for (let attempt = 0; ; attempt++) {
    try {
      await endStream(target.url, target.stream, end, target.token ? { token: target.token } : {});
      return undefined;
    } catch (error) {
      if (!isLivelogClientError(error)) return String(error);
      if (error.serverCode === 'LIVELOG_ERR_STREAM_ENDED') {
        return attempt > 0 ? undefined : `stream ${target.stream} had already ended; its end was left as it was`;
      }
      if (error.fatal || Date.now() > deadline) return `cannot end stream ${target.stream}: ${error.message}`;
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(2000, 100 * 2 ** attempt)));
  }
}
