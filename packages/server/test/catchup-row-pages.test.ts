import type { LogEntry } from '@livelog/protocol';
import { openSse, postStreamLogs, startServer, type TestServer } from '@livelog/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * Regression: a filtered reader's catch-up read its pages of rows 1,000 rows at a time, whatever their
 * size, and parsed and matched each page in one step of the event loop. With entries near the line
 * limit, a page was up to 1 GiB: on a running server one reader filtering 210 entries of 900 KB held
 * `/healthz` for 6 s and grew the process by 350 MB, six readers held it over 30 s. Pages of rows are
 * now sized by the bytes of the rows read so far (about 4 MiB); here that is seen in the store reads
 * the server counts, with every match delivered once, in order.
 */
const ENTRIES = 40;
const FIELD = 256 * 1024;
/** Entries holding the word the reader searches for. */
const MATCHES = [3, 17, 38];

let server: TestServer;
beforeAll(async () => {
  // A ring of one entry: the reader catches up from the store, not from the ring.
  server = await startServer({ ringEntries: 1 });
  // One entry a batch: the ring always keeps the newest batch whole.
  for (let i = 1; i <= ENTRIES; i++) {
    const word = MATCHES.includes(i) ? 'needle' : 'hay';
    const reply = await postStreamLogs(server.url, 'wide', JSON.stringify({ msg: `${word} ${i}`, pad: 'x'.repeat(FIELD) }));
    expect(reply.status).toBe(200);
  }
});
afterAll(() => server.close());

async function pageReads(): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return Number(/^livelog_catchup_page_reads_total (\d+)$/m.exec(text)?.[1] ?? Number.NaN);
}

describe('a filtered reader catching up over large entries', () => {
  it('reads pages of a few MiB, not of 1,000 rows, and gets every match once', async () => {
    const before = await pageReads();
    const got: number[] = [];
    await new Promise<void>((resolve, reject) => {
      const connection = openSse(
        `${server.url}/api/streams/wide/stream?from=start&q=needle`,
        {},
        {
          onEvent: (message) => {
            if (message.type !== 'message') return;
            got.push((JSON.parse(message.data) as LogEntry).seq);
            if (got.length === MATCHES.length) {
              resolve();
              connection.close();
            }
          },
          onEnd: (error) => reject(error ?? new Error('the stream ended before every match')),
        },
      );
    });
    expect(got).toEqual(MATCHES);
    // 39 entries of 256 KiB (10 MiB) before the ring's one: read in one page of rows before.
    expect((await pageReads()) - before).toBeGreaterThanOrEqual(3);
  });
});
