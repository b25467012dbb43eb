import { ingest, postLogs, startServer, type TestServer, waitFor } from '@livelog/test-utils';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { consoleCall, loadedSeqs, useBrowser } from './support/browser.js';

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

const suite = useBrowser();

async function serve(): Promise<TestServer> {
  const server = await startServer({ retry: '5ms' });
  suite.defer(() => server.close());
  return server;
}

async function newPage(): Promise<Page> {
  const { page } = await suite.openPage();
  suite.defer(() => page.context().close());
  return page;
}

function lines(count: number, source: string): string {
  return Array.from({ length: count }, (_, i) => `${JSON.stringify({ msg: `${source} ${i + 1}`, source })}\n`).join('');
}

/** Sources and seqs of the rows in the DOM, oldest first. */
function renderedRows(page: Page): Promise<{ seq: number; source: string }[]> {
  return page
    .locator('livelog-console .row[data-seq]')
    .evaluateAll((rows) =>
      rows
        .map((row) => ({ seq: Number((row as HTMLElement).dataset.seq), source: row.querySelector('.src')?.textContent ?? '' }))
        .sort((a, b) => a.seq - b.seq),
    );
}

describe('the source list', () => {
  it('offers every source the server has, not only those in the loaded lines, in the header and the toolbar', async () => {
    const server = await serve();
    expect((await postLogs(server.url, lines(5, 'cron') + lines(4, 'db'))).status).toBe(200);
    expect((await postLogs(server.url, lines(300, 'api'))).status).toBe(200);
    const page = await newPage();
    await page.goto(`${server.url}/?tail=50`);
    await waitFor(async () => (await loadedSeqs(page)).length === 50, { what: 'the tail' });
    expect(new Set((await renderedRows(page)).map((row) => row.source))).toEqual(new Set(['api']));

    const header = page.locator('livelog-app nav[aria-label="Sources"] button');
    await waitFor(async () => (await header.allTextContents()).join(',') === 'api,cron,db', { what: 'all three sources in the header' });
    expect(await header.nth(1).getAttribute('title')).toContain('5 lines');
    const stats = await consoleCall<{ sources: { name: string; entries: number; lastSeq: number }[] }>(page, 'c.getStats()');
    expect(
      stats.sources.map(({ name, entries, lastSeq }) => ({ name, entries, lastSeq })).sort((a, b) => a.name.localeCompare(b.name)),
    ).toEqual([
      { name: 'api', entries: 300, lastSeq: 309 },
      { name: 'cron', entries: 5, lastSeq: 5 },
      { name: 'db', entries: 4, lastSeq: 9 },
    ]);

    await page.locator('livelog-console details[part="sources"] summary').click();
    const options = page.locator('livelog-console details[part="sources"] label');
    expect(await options.allTextContents()).toEqual(['api', 'cron', 'db']);
    // Choosing a source with no line loaded brings its lines from the server.
    await options.filter({ hasText: 'cron' }).locator('input').check();
    await waitFor(async () => (await renderedRows(page)).map((row) => row.seq).join(',') === '1,2,3,4,5', { what: "cron's lines" });
    expect(new Set((await renderedRows(page)).map((row) => row.source))).toEqual(new Set(['cron']));

    // The header's buttons filter the same way.
    await page.locator('livelog-console details[part="sources"] button', { hasText: 'Show all sources' }).click();
    await header.filter({ hasText: 'db' }).click();
    await waitFor(async () => (await header.filter({ hasText: 'db' }).getAttribute('aria-pressed')) === 'true');
    await waitFor(async () => (await renderedRows(page)).map((row) => row.seq).join(',') === '6,7,8,9', { what: "db's lines" });
  });
});

describe('max-lines', () => {
  it('holds at most max-lines, drops the oldest, and loads them back seamlessly when scrolled to the top', async () => {
    const server = await serve();
    await ingest(server.url, 1000, 'line');
    const page = await newPage();
    await page.goto(`${server.url}/?max-lines=1000`);
    await waitFor(async () => (await loadedSeqs(page)).length === 1000, { what: 'the first 1,000 lines' });
    // The most ever held, sampled every frame.
    await page.evaluate(() => {
      const w = window as unknown as { __mostLoaded: number };
      w.__mostLoaded = 0;
      const frame = (): void => {
        const c = (document.querySelector('livelog-app') as unknown as { console: { getStats(): { loaded: number } } }).console;
        w.__mostLoaded = Math.max(w.__mostLoaded, c.getStats().loaded);
        requestAnimationFrame(frame);
      };
      requestAnimationFrame(frame);
    });
    const mostLoaded = (): Promise<number> => page.evaluate(() => (window as unknown as { __mostLoaded: number }).__mostLoaded);

    for (let batch = 0; batch < 8; batch++) await ingest(server.url, 500, 'line');
    await waitFor(async () => (await loadedSeqs(page)).at(-1) === 5000, { what: 'all 5,000 lines' });
    expect(await loadedSeqs(page)).toEqual(range(4001, 5000));
    expect(await mostLoaded()).toBe(1000);

    // Scroll to the top again and again: each time the page before the oldest line comes back, the
    // line at the top stays where it was, and the newest are dropped instead.
    const viewport = page.locator('livelog-console .viewport');
    await viewport.hover();
    let first = 4001;
    let pages = 0;
    while (first > 1 && pages < 20) {
      pages++;
      const top = page.locator(`livelog-console .row[data-seq="${first}"]`);
      await page.mouse.wheel(0, -50_000);
      await waitFor(async () => ((await loadedSeqs(page))[0] ?? first) < first, { what: `lines before ${first}` });
      await page.locator('livelog-console .edge', { hasText: /Scroll up|Beginning/ }).waitFor();
      const anchored = await top.boundingBox();
      const seqs = await loadedSeqs(page);
      expect(seqs).toEqual(range(seqs[0] as number, (seqs[0] as number) + seqs.length - 1));
      expect(seqs.length).toBeLessThanOrEqual(1000);
      expect(seqs).toContain(first);
      // The anchor: the row that was at the top has not moved on screen.
      const viewportBox = await viewport.boundingBox();
      // At the top it sat just under the edge line (one row); it is there still, 500 rows further down the list.
      expect(anchored).not.toBeNull();
      expect(Math.abs((anchored?.y ?? 0) - ((viewportBox?.y ?? 0) + 20))).toBeLessThanOrEqual(2);
      first = seqs[0] as number;
    }
    expect(pages).toBe(8);
    await page.locator('livelog-console .edge', { hasText: 'Beginning of the retained log' }).waitFor();
    expect(await loadedSeqs(page)).toEqual(range(1, 1000));
    expect(await mostLoaded()).toBe(1000);
    expect(await consoleCall<string>(page, 'c.getStats().mode')).toBe('detached');
    expect(await consoleCall<number>(page, 'c.getStats().rejected')).toBe(0);

    // Going live again shows the newest lines.
    await page.locator('livelog-console .pill').click();
    await waitFor(async () => (await loadedSeqs(page)).join(',') === range(4001, 5000).join(','), { what: 'the live tail again' });
  });
});
