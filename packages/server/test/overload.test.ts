import { Writable } from 'node:stream';
import { createServer, type LivelogServer, resolveServerConfig, type ServerConfigInput } from '@livelog/server';
import { openSse, type SseConnection, tempDir, waitFor } from '@livelog/test-utils';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';

/** A server whose own log lines are kept for assertions. */
interface LoggedServer {
  url: string;
  server: LivelogServer;
  lines: Record<string, unknown>[];
}

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function start(input: ServerConfigInput = {}): Promise<LoggedServer> {
  const dir = await tempDir('livelog-overload-');
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const config = resolveServerConfig({ port: 0, data: dir.path, ...input });
  const server = await createServer(config, { logger: pino({ level: 'info' }, sink) });
  const url = await server.listen();
  cleanups.push(() => dir.remove());
  cleanups.push(() => server.close());
  return { url, server, lines };
}

describe('refused readers', () => {
  it('are answered 503 and logged once per interval at warn, without a stack (regression: issue 11, item 9)', async () => {
    const { url, lines } = await start({ maxReaders: '1' });
    const hello: string[] = [];
    const reader: SseConnection = openSse(`${url}/api/stream`, {}, { onEvent: (event) => hello.push(event.type) });
    cleanups.push(async () => reader.close());
    await waitFor(() => hello.includes('hello'));
    for (let i = 0; i < 5; i++) {
      const refused = await fetch(`${url}/api/stream`);
      expect(refused.status).toBe(503);
      expect(await refused.json()).toMatchObject({ error: { code: 'LIVELOG_ERR_STREAM_TOO_MANY_READERS' } });
    }
    const about = lines.filter((line) => JSON.stringify(line).includes('LIVELOG_ERR_STREAM_TOO_MANY_READERS'));
    expect(about).toHaveLength(1);
    expect(about[0]).toMatchObject({ level: 40, code: 'LIVELOG_ERR_STREAM_TOO_MANY_READERS', refused: 1 });
    expect(about[0]?.err).toBeUndefined();
    expect(lines.filter((line) => (line.level as number) >= 50)).toEqual([]);
  });
});
