import type { LogEntry } from '@livelog/protocol';
import { getJson, postLogs, startServer, type TestServer, waitFor } from '@livelog/test-utils';
import { afterEach, describe, expect, it } from 'vitest';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function post(target: TestServer, record: Record<string, unknown>): Promise<void> {
  const reply = await postLogs(target.url, JSON.stringify(record));
  expect(reply.status).toBe(200);
}

// Regression (issue 11, item 3): one entry dated 9999 stopped age retention for everything after it
// and made `since` start before it.
describe('a producer time far in the future', () => {
  it('does not hold back age retention', async () => {
    server = await startServer({ retainAge: '200ms' });
    const target = server;
    await post(target, { msg: 'from the future', time: '9999-12-31T00:00:00Z' });
    await post(target, { msg: 'after it' });
    await post(target, { msg: 'and after that' });
    await waitFor(
      async () => {
        await target.server.engine.pruner.runOnce();
        return (await target.store.bounds()).first === 4;
      },
      { what: 'all three entries pruned by age', timeoutMs: 10_000 },
    );
  });

  it('does not pull `since` back to before it', async () => {
    server = await startServer();
    await post(server, { msg: 'from the future', time: 253_402_214_400_000 });
    const after = Date.now() + 1;
    await waitFor(() => Date.now() >= after);
    await post(server, { msg: 'later' });
    const page = await getJson<{ entries: LogEntry[] }>(server.url, '/api/logs?from=start');
    expect(page.body.entries.map((entry) => [entry.msg, entry.fields?.originalTime])).toEqual([
      ['from the future', 253_402_214_400_000],
      ['later', undefined],
    ]);
    expect(page.body.entries[0]?.time).toBeLessThan(after);
    const since = await fetch(`${server.url}/api/stream?since=${after}`);
    const reader = since.body?.getReader();
    let text = '';
    while (!text.includes('"later"')) {
      const chunk = await reader?.read();
      if (chunk === undefined || chunk.done) break;
      text += new TextDecoder().decode(chunk.value);
    }
    await reader?.cancel();
    expect(text).toContain('"msg":"later"');
    expect(text).not.toContain('from the future');
  });
});
