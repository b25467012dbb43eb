import { postLogs, startServer, type TestServer, waitFor } from '@livelog/test-utils';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { axeViolations } from './support/axe.js';
import { consoleCall, loadedSeqs, screenshot, useBrowser } from './support/browser.js';

const suite = useBrowser();
const LEVELS = ['info', 'info', 'warn', 'error'] as const;
const MINUTE = 60_000;

interface Line {
  seq: number;
  time: number;
  level: string;
  source: string;
  msg: string;
}

/**
 * A fresh server holding 3 lines from 3 hours ago, then 60 lines 35 s apart from 40 minutes ago to
 * 5.6 minutes ago (levels info, info, warn, error in turn; sources api and db). Times are relative
 * to now, so every test has its own server and corpus.
 */
async function seeded(): Promise<{ server: TestServer; lines: Line[] }> {
  const server = await startServer();
  suite.defer(() => server.close());
  const now = Date.now();
  const lines: Line[] = [];
  for (let i = 0; i < 3; i++)
    lines.push({ seq: i + 1, time: now - 180 * MINUTE + i * 1000, level: 'info', source: 'api', msg: `old ${i}` });
  for (let i = 0; i < 60; i++) {
    const level = LEVELS[i % 4] as string;
    lines.push({ seq: i + 4, time: now - 40 * MINUTE + i * 35_000, level, source: i % 2 ? 'db' : 'api', msg: `event ${i} ${level}` });
  }
  const body = lines.map(({ seq: _seq, ...line }) => JSON.stringify(line)).join('\n');
  expect((await postLogs(server.url, `${body}\n`)).status).toBe(200);
  return { server, lines };
}

async function open(url: string, width = 1100): Promise<Page> {
  const { page, watch } = await suite.openPage({ width, height: 900 });
  suite.defer(async () => {
    expect(watch.errors).toEqual([]);
    await page.context().close();
  });
  await page.goto(url);
  return page;
}

const histogram = (page: Page) => page.locator('livelog-console [part~="histogram"]');
const plot = (page: Page) => page.locator('livelog-console .h-plot');
const search = (page: Page) => page.locator('livelog-console #search');
const params = (page: Page): URLSearchParams => new URL(page.url()).searchParams;
const shownSeqs = (page: Page): Promise<number[]> =>
  page.locator('livelog-console .row[data-seq]').evaluateAll((rows) => rows.map((row) => Number((row as HTMLElement).dataset.seq)));
const sorted = (seqs: number[]): number[] => [...seqs].sort((a, b) => a - b);

async function histogramTotal(page: Page): Promise<number> {
  await histogram(page).and(page.locator('[data-state="ready"]')).waitFor();
  return Number(await histogram(page).getAttribute('data-total'));
}

async function loadedAre(page: Page, expected: number[], what: string): Promise<void> {
  await waitFor(async () => JSON.stringify(sorted(await loadedSeqs(page))) === JSON.stringify(expected), { what, timeoutMs: 30_000 });
}

describe('search and time navigation in the console (issue 13, item 5)', () => {
  it('draws the volume histogram stacked by level, and counts new lines into it live', async () => {
    const { server } = await seeded();
    const page = await open(`${server.url}/?since=1h`);
    await loadedAre(
      page,
      Array.from({ length: 60 }, (_, i) => i + 4),
      'the last hour',
    );
    await waitFor(async () => (await histogramTotal(page)) === 60, { what: 'a histogram of the 60 lines of the last hour' });
    for (const level of ['info', 'warn', 'error'])
      expect(await page.locator(`livelog-console .h-plot rect.h-${level}`).count()).toBeGreaterThan(0);
    // Stacked: a bucket holding an error and an info line draws both, one on the other.
    const label = await plot(page).getAttribute('aria-label');
    expect(label).toContain('Lines over time: 60');

    const fresh = Array.from({ length: 5 }, (_, i) => JSON.stringify({ msg: `fresh ${i}`, level: i === 0 ? 'fatal' : 'warn' })).join('\n');
    expect((await postLogs(server.url, `${fresh}\n`)).status).toBe(200);
    await waitFor(async () => (await histogramTotal(page)) === 65, { what: 'the 5 new lines counted into the histogram' });
    expect(await page.locator('livelog-console .h-plot rect.h-fatal').count()).toBe(1);
    await screenshot(page, 'search-histogram');
  });

  it('zooms to a brushed range: the URL holds it, the lines and the histogram follow', async () => {
    const { server, lines } = await seeded();
    const page = await open(`${server.url}/?since=1h`);
    await waitFor(async () => (await histogramTotal(page)) === 60, { what: 'the histogram', timeoutMs: 30_000 });
    const box = await plot(page).boundingBox();
    if (box === null) throw new Error('no histogram plot');
    const y = box.y + box.height / 2;
    await page.mouse.move(box.x + box.width * 0.2, y);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.4, y, { steps: 5 });
    await page.locator('livelog-console .h-brush').waitFor();
    await page.mouse.move(box.x + box.width * 0.6, y, { steps: 5 });
    await page.mouse.up();

    await waitFor(async () => params(page).has('until'), { what: 'the brushed range in the URL' });
    const since = Date.parse(params(page).get('since') ?? '');
    const until = Date.parse(params(page).get('until') ?? '');
    expect(until - since).toBeGreaterThan(5 * MINUTE);
    const expected = lines.filter((line) => line.time >= since && line.time < until).map((line) => line.seq);
    expect(expected.length).toBeGreaterThan(5);
    await loadedAre(page, expected, 'the lines of the brushed range');
    // The server widens the histogram to whole buckets: count what its edges hold.
    await waitFor(
      async () => {
        const total = await histogramTotal(page);
        const from = Number(await histogram(page).getAttribute('data-since'));
        const to = Number(await histogram(page).getAttribute('data-until'));
        return from <= since && to >= until && total === lines.filter((line) => line.time >= from && line.time < to).length;
      },
      { what: 'a histogram of the brushed range', timeoutMs: 30_000 },
    );
    // A range that ended gets no new lines: nothing to follow.
    await page.locator('livelog-console [part~="follow"]', { hasText: 'Stopped' }).waitFor();
    expect(await page.locator('livelog-console [part~="range"] summary').textContent()).toContain('→');
  });

  it('jumps to the first line at a clicked time (GET /api/seek) and marks it', async () => {
    const { server, lines } = await seeded();
    const page = await open(`${server.url}/?since=1h&tail=10`);
    await waitFor(async () => (await histogramTotal(page)) === 60, { what: 'the histogram', timeoutMs: 30_000 });
    const box = await plot(page).boundingBox();
    if (box === null) throw new Error('no histogram plot');
    const seek = page.waitForRequest((request) => request.url().includes('/api/seek'));
    await page.mouse.click(box.x + box.width * 0.3, box.y + box.height / 2);
    const time = Number(new URL((await seek).url()).searchParams.get('time'));
    const first = lines.find((line) => line.time >= time);
    if (first === undefined) throw new Error('no line after the clicked time');
    const target = page.locator(`livelog-console .row.target[data-seq="${first.seq}"]`);
    await target.waitFor();
    // Paused on it: new lines do not scroll it away.
    expect(await consoleCall<boolean>(page, 'c.following')).toBe(false);
  });

  it('shows the context of a line: the lines around it, unfiltered, the line highlighted', async () => {
    const { server } = await seeded();
    const page = await open(`${server.url}/?level=error`);
    // Errors only: seqs 7, 11, 15, …
    await waitFor(async () => (await loadedSeqs(page)).length === 15, { what: 'the 15 error lines' });
    await page.locator('livelog-console .row[data-seq="31"]').click();
    await page.locator('livelog-console .row[data-seq="31"]').getByRole('button', { name: 'Show context' }).click();
    const panel = page.locator('livelog-console [part~="context"]');
    await panel.locator('.context-line.anchor[data-seq="31"]').waitFor();
    const seqs = await panel.locator('.context-line').evaluateAll((rows) => rows.map((row) => Number((row as HTMLElement).dataset.seq)));
    expect(seqs).toEqual(Array.from({ length: 41 }, (_, i) => i + 11));
    expect(await panel.locator('.context-line.anchor').getAttribute('aria-current')).toBe('true');
    expect(await panel.locator('.context-line[data-seq="29"] .lvl').textContent()).toBe('INFO');
    expect(await axeViolations(page)).toEqual([]);

    await panel.getByRole('button', { name: 'Earlier lines' }).click();
    await panel.locator('.context-line[data-seq="1"]').waitFor();
    await page.keyboard.press('Escape');
    await panel.waitFor({ state: 'detached' });
  });

  // Regression: "Earlier lines" asked `around` again with 20 more before; the server bounds each side
  // of it by size (about 4 MiB), so with large lines it answered the same lines and the button did nothing.
  it('loads earlier lines of a context of large lines', async () => {
    const server = await startServer();
    suite.defer(() => server.close());
    const pad = 'x'.repeat(300_000);
    const body = Array.from({ length: 40 }, (_, i) => JSON.stringify({ msg: `big ${i + 1}`, pad })).join('\n');
    expect((await postLogs(server.url, `${body}\n`)).status).toBe(200);
    const page = await open(`${server.url}/`);
    await page.locator('livelog-console .row[data-seq="35"]').click();
    await page.locator('livelog-console .row[data-seq="35"]').getByRole('button', { name: 'Show context' }).click();
    const panel = page.locator('livelog-console [part~="context"]');
    // 14 lines of 300 KB reach the size of a side: 21…34 before the line.
    await panel.locator('.context-line[data-seq="21"]').waitFor();
    expect(await panel.locator('.context-line[data-seq="20"]').count()).toBe(0);
    await panel.getByRole('button', { name: 'Earlier lines' }).click();
    await panel.locator('.context-line[data-seq="7"]').waitFor();
    const seqs = await panel.locator('.context-line').evaluateAll((rows) => rows.map((row) => Number((row as HTMLElement).dataset.seq)));
    expect(seqs).toEqual(Array.from({ length: 34 }, (_, i) => i + 7));
  });

  it('says inline why a query is invalid, with its position, and offers the syntax', async () => {
    const { server } = await seeded();
    const page = await open(`${server.url}/`);
    await waitFor(async () => (await loadedSeqs(page)).length === 63, { what: 'every line' });
    await search(page).fill('event "unbalanced');
    const error = page.locator('livelog-console [part="filter-error"]');
    await error.waitFor();
    expect(await error.textContent()).toMatch(/^Invalid query: .*position 6/);
    expect(await search(page).getAttribute('aria-invalid')).toBe('true');
    await page.locator('livelog-console [part~="empty-state"][data-empty="invalid-query"]').waitFor();
    await search(page).fill('(event OR old');
    await waitFor(async () => /position/.test((await error.textContent()) ?? ''), { what: 'the unbalanced parenthesis' });

    await page.locator('livelog-console [part~="query-help"] summary').click();
    const help = page.locator('livelog-console [part~="query-help"] table');
    await help.waitFor();
    expect(await help.textContent()).toContain('level:error');
    await search(page).fill('event');
    await error.waitFor({ state: 'detached' });
  });

  it('filters by the query language: fields, phrases, OR and negation', async () => {
    const { server, lines } = await seeded();
    const page = await open(`${server.url}/`);
    await waitFor(async () => (await loadedSeqs(page)).length === 63, { what: 'every line' });
    await search(page).fill('level:error source:db -"event 3"');
    const expected = lines.filter((line) => line.level === 'error' && line.source === 'db' && !line.msg.includes('event 3'));
    expect(expected.length).toBeGreaterThan(3);
    // Narrower than no query: the loaded lines are filtered here, by the same matcher the server runs.
    await waitFor(async () => JSON.stringify(await shownSeqs(page)) === JSON.stringify(expected.map((line) => line.seq)), {
      what: 'the lines the query matches',
      timeoutMs: 30_000,
    });
    await waitFor(async () => params(page).get('q') === 'level:error source:db -"event 3"', { what: 'the query in the URL' });
    // Another query: loaded from the server, which runs the query language too.
    await search(page).fill('"old 1" OR "event 59"');
    await loadedAre(page, [2, 63], 'either phrase, from the server');
  });

  it('a shared URL reproduces the search: query, absolute range and lines', async () => {
    const { server, lines } = await seeded();
    const since = new Date(lines[10]?.time ?? 0).toISOString();
    const until = new Date(lines[40]?.time ?? 0).toISOString();
    const page = await open(`${server.url}/?q=error&since=${encodeURIComponent(since)}&until=${encodeURIComponent(until)}`);
    const expected = lines.filter((line) => line.msg.includes('error') && line.time >= Date.parse(since) && line.time < Date.parse(until));
    await loadedAre(
      page,
      expected.map((line) => line.seq),
      'the shared search',
    );
    expect(await search(page).inputValue()).toBe('error');
    await waitFor(async () => (await histogramTotal(page)) === expected.length, { what: 'the histogram of the shared search' });
    const label = await page.locator('livelog-console [part~="range"] summary').textContent();
    expect(label).toContain('→');
    expect(params(page).get('since')).toBe(since);
  });

  it('picks a relative range that keeps following new lines', async () => {
    const { server, lines } = await seeded();
    const page = await open(`${server.url}/`);
    await waitFor(async () => (await loadedSeqs(page)).length === 63, { what: 'every line' });
    await page.locator('livelog-console [part~="range"] summary').click();
    const before = Date.now();
    await page.locator('livelog-console [part~="range"]').getByRole('button', { name: 'Last 15 minutes' }).click();
    await waitFor(async () => params(page).get('since') === '15m', { what: 'the range in the URL' });
    await waitFor(
      async () => {
        const loaded = await loadedSeqs(page);
        const after = Date.now();
        // The server resolves "15m" when it answers: between the click and now.
        const surely = lines.filter((line) => line.time >= after - 15 * MINUTE).map((line) => line.seq);
        const maybe = new Set(lines.filter((line) => line.time >= before - 15 * MINUTE - 1000).map((line) => line.seq));
        return loaded.length > 0 && surely.every((seq) => loaded.includes(seq)) && loaded.every((seq) => maybe.has(seq));
      },
      { what: 'only the last 15 minutes' },
    );
    expect((await postLogs(server.url, `${JSON.stringify({ msg: 'just now' })}\n`)).status).toBe(200);
    await waitFor(async () => (await loadedSeqs(page)).includes(64), { what: 'a new line, followed live' });
    expect(await page.locator('livelog-console [part~="follow"]').textContent()).toContain('Pause');
  });

  it('fits a phone: the strip, the range picker and the syntax help stay on screen at 390 px', async () => {
    const { server } = await seeded();
    const page = await open(`${server.url}/?since=1h`, 390);
    await waitFor(async () => (await histogramTotal(page)) === 60, { what: 'the histogram', timeoutMs: 30_000 });
    const strip = await histogram(page).boundingBox();
    expect(strip?.width).toBeLessThanOrEqual(390);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.locator('livelog-console [part~="query-help"] summary').click();
    const help = await page.locator('livelog-console [part~="query-help"] .menu-body').boundingBox();
    expect(help?.x).toBeGreaterThanOrEqual(0);
    expect((help?.x ?? 0) + (help?.width ?? 0)).toBeLessThanOrEqual(390);
    await page.locator('livelog-console [part~="query-help"] summary').click();
    await page.locator('livelog-console [part~="controls-toggle"]').click();
    await page.locator('livelog-console [part~="range"] summary').click();
    const menu = await page.locator('livelog-console [part~="range"] .menu-body').boundingBox();
    expect(menu?.x).toBeGreaterThanOrEqual(0);
    expect((menu?.x ?? 0) + (menu?.width ?? 0)).toBeLessThanOrEqual(390);
    await screenshot(page, 'search-phone');
  });
});
