import { startServer, type TestServer, waitFor } from '@livelog/test-utils';
import { describe, expect, it } from 'vitest';
import { consoleCall, useBrowser } from './support/browser.js';

// A job's stream deleted (DELETE /api/streams/NAME) and written again under the same name (a re-run)
// used to leave an open page on "Disconnected: the stream was deleted" for good: the new run's lines
// showed only after a reload.
const suite = useBrowser();

async function write(server: TestServer, stream: string, messages: string[]): Promise<void> {
  const body = `${messages.map((msg) => JSON.stringify({ msg })).join('\n')}\n`;
  const response = await fetch(`${server.url}/api/streams/${stream}/logs`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-ndjson' },
    body,
  });
  expect(response.status).toBe(200);
}

const shown = (page: import('playwright-core').Page): Promise<string[]> =>
  consoleCall<string[]>(page, "c.entries.map((entry) => entry.seq + ' ' + entry.msg)");

describe('a stream deleted and written again while shown', () => {
  it('says it was deleted, keeps its lines until it is back, then shows the new stream once, in order, live', async () => {
    const server = await startServer();
    suite.defer(() => server.close());
    await write(server, 'job-7', ['run 1 a', 'run 1 b', 'run 1 c', 'run 1 d', 'run 1 e']);
    const page = await suite.openAt(`${server.url}/?stream=job-7`);
    await waitFor(async () => (await shown(page)).length === 5, { what: 'the first run' });

    expect((await fetch(`${server.url}/api/streams/job-7`, { method: 'DELETE' })).status).toBe(204);
    const notice = page.locator('livelog-console .notice');
    await waitFor(async () => ((await notice.textContent().catch(() => '')) ?? '').includes('was deleted'), { what: 'the deletion said' });
    expect(await notice.textContent()).toBe('stream job-7 was deleted: waiting for its first line');
    // What was shown stays readable until the stream is back.
    expect(await shown(page)).toEqual(['1 run 1 a', '2 run 1 b', '3 run 1 c', '4 run 1 d', '5 run 1 e']);

    await write(server, 'job-7', ['run 2 a', 'run 2 b']);
    await waitFor(async () => (await shown(page)).join() === '1 run 2 a,2 run 2 b', { what: 'the second run', timeoutMs: 15_000 });
    await page.locator('livelog-console .status .state[data-state="live"]').waitFor();
    expect(await notice.count()).toBe(0);
    await write(server, 'job-7', ['run 2 c', 'run 2 d']);
    await waitFor(async () => (await shown(page)).length === 4, { what: 'the new run live' });
    expect(await shown(page)).toEqual(['1 run 2 a', '2 run 2 b', '3 run 2 c', '4 run 2 d']);
    expect(await page.locator('livelog-app header .state').getAttribute('data-state')).toBe('live');
    // The volume strip counts the new stream, not the deleted one's lines.
    const histogram = page.locator('livelog-console [part="histogram"]');
    await waitFor(async () => (await histogram.getAttribute('data-total')) === '4', { what: 'the histogram of the new stream' });
  });
});
