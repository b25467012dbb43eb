/** What a cutting fetch did. */
export interface CutReport {
  /** Connections it cut. */
  cuts: number;
  /** Of those, cuts that fell inside an event (not right after its blank line). */
  midEvent: number;
  /**
   * Of those, cuts that fell before the first event of their connection was complete. A livelog
   * server's first event is `hello`, so these connections never opened: the reader counts them as
   * failed attempts, not as reconnects of an open stream.
   */
  beforeHello: number;
  /** Event-stream responses handed out, cut or not. */
  connections: number;
  /** The number (1-based, in `connections`) of the last connection cut; 0 before the first cut. */
  lastCutConnection: number;
}

/**
 * A fetch that cuts its own event-stream responses at random byte positions, `cuts` times in all:
 * the body delivers a random number of bytes (anywhere: inside a field, between `id:` and the blank
 * line, inside a UTF-8 character) and then fails like a dropped connection, and the real
 * connection is torn down. It proves resumption end to end, through whatever proxies sit between
 * the user and the server, without needing control of the network.
 */
export function createCuttingFetch(options: {
  cuts: number;
  /** Largest byte budget of a connection before its cut. */
  maxBytes: number;
  random?: () => number;
  fetch?: typeof fetch;
}): { fetch: typeof fetch; report: CutReport } {
  const random = options.random ?? Math.random;
  const inner = options.fetch ?? globalThis.fetch.bind(globalThis);
  const report: CutReport = { cuts: 0, midEvent: 0, beforeHello: 0, connections: 0, lastCutConnection: 0 };
  const cuttingFetch = async (input: Parameters<typeof fetch>[0], init?: RequestInit): Promise<Response> => {
    const response = await inner(input, init);
    const type = response.headers.get('content-type') ?? '';
    if (!type.startsWith('text/event-stream') || response.body === null) return response;
    const connection = ++report.connections;
    if (report.cuts >= options.cuts) return response;
    let budget = Math.floor(random() * options.maxBytes);
    const reader = response.body.getReader();
    let tail = '';
    let firstEventDone = false;
    const pass = (bytes: Uint8Array, controller: ReadableStreamDefaultController<Uint8Array>): void => {
      firstEventDone ||= hasBlankLine(tail, bytes);
      tail = lastTwo(tail, bytes);
      if (bytes.byteLength > 0) controller.enqueue(bytes);
    };
    const body = new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          const { done, value } = await reader.read();
          if (done) {
            controller.close();
            return;
          }
          if (value.byteLength <= budget || report.cuts >= options.cuts) {
            budget -= value.byteLength;
            pass(value, controller);
            return;
          }
          pass(value.subarray(0, budget), controller);
          report.cuts++;
          report.lastCutConnection = connection;
          if (tail !== '\n\n') report.midEvent++;
          if (!firstEventDone) report.beforeHello++;
          void reader.cancel().catch(() => undefined);
          controller.error(new TypeError('livelog verify: connection cut on purpose'));
        },
        cancel(reason) {
          return reader.cancel(reason);
        },
      },
      // No queue: pull runs only for a pending read, so the prefix enqueued just before a cut goes
      // straight to the reader. With a queue, error() would discard a queued prefix and the reader
      // would see fewer bytes than the report counts (a hello counted as delivered, never seen).
      { highWaterMark: 0 },
    );
    return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
  return { fetch: cuttingFetch as typeof fetch, report };
}

/** The last two characters of the bytes seen so far (ASCII line ends are all that matters). */
function lastTwo(previous: string, bytes: Uint8Array): string {
  if (bytes.byteLength >= 2) return String.fromCharCode(bytes[bytes.byteLength - 2] as number, bytes[bytes.byteLength - 1] as number);
  if (bytes.byteLength === 1) return (previous + String.fromCharCode(bytes[0] as number)).slice(-2);
  return previous;
}

/** Whether `bytes`, following bytes that ended in `previous`, hold the blank line ending an event. */
function hasBlankLine(previous: string, bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.byteLength; i++) {
    if (bytes[i] !== 10) continue;
    const before = i > 0 ? bytes[i - 1] : previous.charCodeAt(previous.length - 1);
    if (before === 10) return true;
  }
  return false;
}
