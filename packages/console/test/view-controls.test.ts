import { getJson, postLogs, startServer, type TestServer, waitFor } from '@livelog/test-utils';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadedSeqs, useBrowser } from './support/browser.js';

const suite = useBrowser();
let server: TestServer;

/**
 * Yesterday at 03:04:05.678 UTC, which is 08:34:05.678 in Kolkata (UTC+05:30, no daylight saving).
 * Recent, because the server's default retention drops lines older than 7 days.
 */
const DAY = new Date(Date.now() - 86_400_000);
const TIME = Date.UTC(DAY.getUTCFullYear(), DAY.getUTCMonth(), DAY.getUTCDate(), 3, 4, 5, 678);
const DATE = new Date(TIME).toISOString().slice(0, 10);
const LONG = Array.from({ length: 80 }, (_, i) => `word${i}`).join(' ');

beforeAll(async () => {
  server = await startServer();
  const body = [
    { msg: LONG, level: 'warn', source: 'api', time: TIME, user: { id: 7, name: 'ann' } },
    { msg: 'short \u001b[32mgreen\u001b[0m', level: 'info', source: 'worker', time: TIME + 1000 },
    { msg: 'third', level: 'info', source: 'worker', time: TIME + 2000 },
  ];
  expect((await postLogs(server.url, `${body.map((line) => JSON.stringify(line)).join('\n')}\n`)).status).toBe(200);
});
afterAll(async () => {
  await server?.close();
});

async function open(): Promise<Page> {
  const { page, watch } = await suite.openPage({ timezoneId: 'Asia/Kolkata', width: 1000, height: 600 });
  suite.defer(async () => {
    expect(watch.errors).toEqual([]);
    await page.context().close();
  });
  await page.goto(`${server.url}/`);
  await waitFor(async () => (await loadedSeqs(page)).length === 3, { what: 'the three lines' });
  await page.locator('livelog-console .row[data-seq="3"]').waitFor();
  return page;
}

const row = (page: Page, seq: number) => page.locator(`livelog-console .row[data-seq="${seq}"]`);
const button = (page: Page, name: string) => page.locator('livelog-console [part~="toolbar"]').getByRole('button', { name, exact: true });
const viewportOverflow = (page: Page): Promise<number> =>
  page.locator('livelog-console .viewport').evaluate((viewport) => viewport.scrollWidth - viewport.clientWidth);

describe('view controls', () => {
  it('wraps long lines with the Wrap toggle (and w), re-measuring rows so none overlap', async () => {
    const page = await open();
    expect((await row(page, 1).boundingBox())?.height).toBe(20);
    expect(await viewportOverflow(page)).toBeGreaterThan(100);

    await button(page, 'Wrap').click();
    expect(await button(page, 'Wrap').getAttribute('aria-pressed')).toBe('true');
    expect(await page.locator('livelog-console').getAttribute('wrap')).toBe('');
    await waitFor(async () => ((await row(page, 1).boundingBox())?.height ?? 0) > 40, { what: 'a wrapped, taller first row' });
    expect(await viewportOverflow(page)).toBeLessThanOrEqual(0);
    const [first, second] = [await row(page, 1).boundingBox(), await row(page, 2).boundingBox()];
    expect(second?.y).toBeGreaterThanOrEqual((first?.y ?? 0) + (first?.height ?? 0) - 1);

    await page.locator('livelog-console .viewport').focus();
    await page.keyboard.press('w');
    await waitFor(async () => (await row(page, 1).boundingBox())?.height === 20, { what: 'one-line rows again' });
    expect(await button(page, 'Wrap').getAttribute('aria-pressed')).toBe('false');
    expect(await page.locator('livelog-console').getAttribute('wrap')).toBeNull();
  });

  it('shows local times, or UTC with the UTC toggle (and u), in the row and its tooltip', async () => {
    const page = await open();
    const time = row(page, 1).locator('.time');
    expect(await time.textContent()).toBe('08:34:05.678');
    expect(await time.getAttribute('title')).toBe(`${DATE}T08:34:05.678+05:30`);

    await button(page, 'UTC').click();
    await waitFor(async () => (await time.textContent()) === '03:04:05.678Z', { what: 'UTC times' });
    expect(await time.getAttribute('title')).toBe(`${DATE}T03:04:05.678Z`);
    expect(await button(page, 'UTC').getAttribute('aria-pressed')).toBe('true');
    expect(await row(page, 3).locator('.time').textContent()).toBe('03:04:07.678Z');

    await page.locator('livelog-console .viewport').focus();
    await page.keyboard.press('u');
    await waitFor(async () => (await time.textContent()) === '08:34:05.678', { what: 'local times again' });
    expect(await button(page, 'UTC').getAttribute('aria-pressed')).toBe('false');
  });

  it('goes fullscreen with the Fullscreen button and leaves with f (regression: inside a shadow root it re-entered instead)', async () => {
    const page = await open();
    const fullscreenElement = (): Promise<string | null> =>
      page.evaluate(() => document.querySelector('livelog-app')?.shadowRoot?.fullscreenElement?.localName ?? null);
    expect(await fullscreenElement()).toBeNull();
    await button(page, 'Fullscreen').click();
    await waitFor(async () => (await fullscreenElement()) === 'livelog-console', { what: 'the console in fullscreen' });
    await waitFor(async () => (await button(page, 'Fullscreen').getAttribute('aria-pressed')) === 'true');
    const box = await page.locator('livelog-console').boundingBox();
    expect(box).toMatchObject({ x: 0, y: 0, width: 1000, height: 600 });

    await page.locator('livelog-console .viewport').focus();
    await page.keyboard.press('f');
    await waitFor(async () => (await fullscreenElement()) === null, { what: 'fullscreen left' });
    await waitFor(async () => (await button(page, 'Fullscreen').getAttribute('aria-pressed')) === 'false');
  });

  it('copies a line as text and as JSON from its expanded view', async () => {
    const page = await open();
    const stored = await getJson<{ entries: Record<string, unknown>[] }>(server.url, '/api/logs?from=start&limit=1');
    const entry = stored.body.entries[0] as Record<string, unknown>;
    await row(page, 1).click();
    const detail = row(page, 1).locator('.detail');
    await detail.waitFor();
    const clipboard = (): Promise<string> => page.evaluate(() => navigator.clipboard.readText());

    await detail.getByRole('button', { name: 'Copy line' }).click();
    await waitFor(async () => (await clipboard()) !== '', { what: 'the copied line' });
    // The copy follows the time shown: local here, with its offset.
    expect(await clipboard()).toBe(`${DATE}T08:34:05.678+05:30 WARN  [api] ${LONG} {"user":{"id":7,"name":"ann"}}`);

    await detail.getByRole('button', { name: 'Copy JSON' }).click();
    await waitFor(async () => (await clipboard()).startsWith('{'), { what: 'the copied JSON' });
    expect(JSON.parse(await clipboard())).toEqual(entry);

    // ANSI escapes are dropped from the text copy, as a terminal would show the line.
    await row(page, 2).click();
    await row(page, 2).locator('.detail').getByRole('button', { name: 'Copy line' }).click();
    await waitFor(async () => (await clipboard()).includes('[worker]'), { what: 'the second copied line' });
    expect(await clipboard()).toBe(`${DATE}T08:34:06.678+05:30 INFO  [worker] short green`);
  });
});
