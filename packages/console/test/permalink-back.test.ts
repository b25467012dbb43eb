import { ingest, startServer, waitFor } from '@livelog/test-utils';
import { describe, expect, it } from 'vitest';
import { consoleCall, loadedSeqs, useBrowser } from './support/browser.js';

// Regression: Back from a permalink opened in the tab (`#id=…`) left the URL without it but the view
// where the permalink had put it: a window of history, paused, the line still highlighted, while
// the URL said "the live tail". Forward opens the permalink again.
const suite = useBrowser();

describe('Back and Forward across a permalink', () => {
  it('Back leaves the permalink for the live tail, following; Forward shows the line again', async () => {
    const server = await startServer();
    suite.defer(() => server.close());
    await ingest(server.url, 3000, 'line');
    const page = await suite.openAt(`${server.url}/?tail=200`);
    await waitFor(async () => (await loadedSeqs(page)).at(-1) === 3000, { what: 'the tail' });
    const stream = await consoleCall<string>(page, "c.entries[0].id.split(':')[0]");
    const target = page.locator('livelog-console .row.target');

    await page.evaluate((hash) => {
      location.hash = hash;
    }, `id=${stream}:1200`);
    await waitFor(async () => (await target.getAttribute('data-seq').catch(() => null)) === '1200', { what: 'the permalink' });
    expect(await consoleCall<string>(page, 'c.getStats().mode')).toBe('detached');

    await page.goBack();
    expect(new URL(page.url()).hash).toBe('');
    await waitFor(async () => (await consoleCall<string>(page, 'c.getStats().mode')) === 'live', { what: 'the live tail again' });
    await waitFor(async () => (await consoleCall<boolean>(page, 'c.following')) === true, { what: 'following again' });
    expect(await target.count()).toBe(0);
    await ingest(server.url, 10, 'after');
    await page.locator('livelog-console .row[data-seq="3010"]').waitFor();
    expect((await loadedSeqs(page)).slice(-11)).toEqual(Array.from({ length: 11 }, (_, i) => 3000 + i));

    await page.goForward();
    await waitFor(async () => (await target.getAttribute('data-seq').catch(() => null)) === '1200', { what: 'the permalink again' });
  });
});
