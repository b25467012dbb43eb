import { getJson, ingest, postLogs, startServer } from '@livelog/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { permalinkNotice, permalinkWindow } from '../src/state/permalink-window.js';

let server: Awaited<ReturnType<typeof startServer>>;
let stream = '';

beforeAll(async () => {
  server = await startServer();
  await ingest(server.url, 40, 'line');
  await postLogs(server.url, `${JSON.stringify({ msg: 'boom', level: 'error' })}\n`);
  const { body } = await getJson<{ entries: { id: string }[] }>(server.url, '/api/logs?limit=1');
  const id = body.entries[0]?.id ?? '';
  stream = id.slice(0, id.lastIndexOf(':'));
});
afterAll(async () => {
  await server?.close();
});

const query = () => ({ url: server.url, filter: {} });

describe('permalinkWindow (against a real server)', () => {
  it('finds a retained line with up to `half` lines on each side', async () => {
    const found = await permalinkWindow(query(), { stream, seq: 20 }, 5, false);
    expect(found.kind).toBe('found');
    if (found.kind !== 'found') return;
    expect(found.entries.map((entry) => entry.seq)).toEqual([15, 16, 17, 18, 19, 20, 21, 22, 23, 24]);
    expect(found).toMatchObject({ olderAvailable: true, newerAvailable: true });
  });

  it('calls a line never written (past the newest) "future", with the newest seq', async () => {
    const future = await permalinkWindow(query(), { stream, seq: 500 }, 5, false);
    expect(future).toEqual({ kind: 'future', newest: 41 });
    expect(permalinkNotice(`${stream}:500`, future as Exclude<typeof future, { kind: 'found' }>)).toBe(
      `Line ${stream}:500 does not exist: this log ends at line 41; showing the live tail`,
    );
  });

  it('says a foreign id is foreign (the server answers 409)', async () => {
    const other = stream === 'aaaaaaaa' ? 'bbbbbbbb' : 'aaaaaaaa';
    expect(await permalinkWindow(query(), { stream: other, seq: 3 }, 5, false)).toEqual({ kind: 'foreign' });
  });

  it('with a filter, a line it hides is "hidden", never "future" or "removed"', async () => {
    const hidden = await permalinkWindow({ url: server.url, filter: { level: 'error' } }, { stream, seq: 20 }, 5, true);
    expect(hidden.kind).toBe('hidden');
    const past = await permalinkWindow({ url: server.url, filter: { level: 'error' } }, { stream, seq: 45 }, 5, true);
    expect(past.kind).toBe('hidden');
  });
});
