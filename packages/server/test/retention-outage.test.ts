import type { GapEvent, HelloEvent, LogEntry } from '@livelog/protocol';
import { openSse, postLogs, type SseConnection, startServer, type TestServer, waitFor } from '@livelog/test-utils';
import { afterEach, describe, expect, it } from 'vitest';

/**
 * Retention while a reader is away, under steady ingest: each time the reader comes back with its
 * Last-Event-ID, retention has removed lines it had not read. What it receives, in order, must account
 * for every seq exactly once: delivered (when its filter wants it), or inside one `gap` whose count is
 * exact; never skipped silently, never twice. The other tests prune once and then connect; here pruning
 * runs between and during catch-ups (the ring is small, so readers come back through the store).
 */
const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const LEVELS = ['info', 'warn', 'error'] as const;
type Event = { kind: 'entry'; entry: LogEntry; eventId: string } | { kind: 'gap'; gap: GapEvent } | { kind: 'hello'; hello: HelloEvent };

/**
 * The problems of `events` against the promise, from the first connection's start (`from=start`: the
 * oldest entry its hello names) to `last`; `wanted` says what the filter keeps.
 */
function accountFor(
  events: readonly Event[],
  last: number,
  stored: ReadonlyMap<number, LogEntry>,
  wanted: (entry: LogEntry) => boolean,
): string[] {
  const problems: string[] = [];
  const first = events.find((event) => event.kind === 'hello');
  let next = first?.kind === 'hello' ? first.hello.first : 1;
  const skipTo = (seq: number, why: string): void => {
    for (; next < seq; next++) {
      const entry = stored.get(next);
      if (entry === undefined || wanted(entry)) problems.push(`seq ${next} neither delivered nor in a gap (${why})`);
    }
  };
  for (const event of events) {
    if (event.kind === 'entry') {
      const { seq } = event.entry;
      if (seq < next) problems.push(`seq ${seq} again or out of order (next due ${next})`);
      else skipTo(seq, `before entry ${seq}`);
      if (event.eventId !== event.entry.id) problems.push(`seq ${seq} came with id ${event.eventId}`);
      if (stored.get(seq)?.msg !== event.entry.msg) problems.push(`seq ${seq} holds ${event.entry.msg}`);
      next = Math.max(next, seq + 1);
    } else if (event.kind === 'gap') {
      const { fromSeq, toSeq, missed } = event.gap;
      if (missed !== toSeq - fromSeq + 1) problems.push(`gap ${fromSeq}..${toSeq} counts ${missed}`);
      // A filtered reader's cursor may have moved past unwanted seqs (id-only events) before the gap.
      if (fromSeq < next) problems.push(`gap from ${fromSeq} overlaps what came before (next due ${next})`);
      else skipTo(fromSeq, `before the gap from ${fromSeq}`);
      next = Math.max(next, toSeq + 1);
    }
  }
  skipTo(last + 1, 'at the end');
  return problems;
}

describe('retention during outages under steady ingest', () => {
  it.each([
    ['every line', '', () => true],
    ['a filtered reader', '&level=warn', (entry: LogEntry) => entry.level !== 'info'],
  ])('%s: every seq once, delivered or in an exact gap, in order', async (_label, query, wanted) => {
    const server: TestServer = await startServer({ retainEntries: '150', ringEntries: '50' });
    cleanups.push(() => server.close());
    const stored = new Map<number, LogEntry>();
    let writing = true;
    let batch = 0;
    const writer = (async () => {
      while (writing) {
        const lines = Array.from({ length: 20 }, (_, i) => ({ msg: `b${batch} ${i}`, level: LEVELS[(batch + i) % 3] }));
        batch++;
        const reply = await postLogs(server.url, lines.map((line) => JSON.stringify(line)).join('\n'));
        expect(reply.status).toBe(200);
        const first = Number((reply.body as { firstId: string }).firstId.split(':')[1]);
        for (const [i, line] of lines.entries()) stored.set(first + i, { ...line, seq: first + i } as LogEntry);
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    cleanups.push(async () => {
      writing = false;
      await writer;
    });
    const lastAcked = (): number => Math.max(0, ...stored.keys());

    const events: Event[] = [];
    let cursor = '';
    let connection: SseConnection | undefined;
    let delivered = 0;
    const connect = (): void => {
      const url = `${server.url}/api/stream?from=start${query}`;
      const current = openSse(url, cursor === '' ? {} : { 'last-event-id': cursor }, {
        onEvent: (message) => {
          if (connection !== current) return;
          cursor = message.lastEventId;
          if (message.type === 'message') {
            delivered++;
            events.push({ kind: 'entry', entry: JSON.parse(message.data) as LogEntry, eventId: message.lastEventId });
          } else if (message.type === 'gap') events.push({ kind: 'gap', gap: JSON.parse(message.data) as GapEvent });
          else if (message.type === 'hello') events.push({ kind: 'hello', hello: JSON.parse(message.data) as HelloEvent });
        },
        onIdOnly: (id) => {
          if (connection === current) cursor = id;
        },
      });
      connection = current;
    };
    cleanups.push(() => connection?.close());

    let cutWhileFlowing = 0;
    for (let round = 0; round < 8; round++) {
      const before = delivered;
      connect();
      await waitFor(() => delivered > before, { what: `round ${round}: entries on the new connection` });
      // A prune while catching up: the reader's next page may already be gone.
      if (round % 2 === 1) await server.server.engine.pruner.runOnce();
      const flowing = delivered;
      await waitFor(() => delivered > flowing, { what: `round ${round}: entries still flowing` });
      connection?.close();
      cutWhileFlowing++;
      // Away long enough for retention to remove lines the reader has not read.
      const away = lastAcked();
      await waitFor(() => lastAcked() >= away + 300, { what: `round ${round}: 300 lines written while away` });
      await server.server.engine.pruner.runOnce();
    }
    writing = false;
    await writer;
    await server.server.engine.pruner.runOnce();
    connect();
    const last = lastAcked();
    await waitFor(() => cursor.endsWith(`:${last}`), { what: `the reader at seq ${last}` });

    expect(cutWhileFlowing).toBe(8);
    expect(accountFor(events, last, stored, wanted)).toEqual([]);
    // Every outage outlasted retention: each return began with a gap.
    const gaps = events.filter((event) => event.kind === 'gap').length;
    expect(gaps).toBeGreaterThanOrEqual(8);
    expect(events.filter((event) => event.kind === 'hello')).toHaveLength(9);
  });
});
