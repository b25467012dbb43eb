import { postLogs, waitFor } from '@livelog/test-utils';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { axeViolations } from './support/axe.js';
import { consoleCall, loadedSeqs, screenshot, useBrowser } from './support/browser.js';
import { spawnFresh } from './support/spawned.js';

const suite = useBrowser();
const WIDTH = 390;
const SOURCES = ['api', 'worker', 'db', 'payments-service', 'scheduler'];

/** `count` lines cycling through SOURCES. */
function lines(count: number, from: number): string {
  let out = '';
  for (let n = from; n < from + count; n++)
    out += `${JSON.stringify({ msg: `request ${n} handled`, source: SOURCES[n % SOURCES.length] })}\n`;
  return out;
}

async function openPhone(): Promise<{ page: Page; url: string }> {
  const server = await spawnFresh(suite.defer);
  expect((await postLogs(server.url, lines(300, 1))).status).toBe(200);
  const { page, watch } = await suite.openPage({ width: WIDTH, height: 780 });
  suite.defer(async () => {
    expect(watch.errors).toEqual([]);
    await page.context().close();
  });
  await page.goto(`${server.url}/`);
  await page.locator('livelog-console .state[data-state="live"]').waitFor();
  await waitFor(async () => (await loadedSeqs(page)).length === 300, { what: 'the lines' });
  return { page, url: server.url };
}

const toolbar = (page: Page) => page.locator('livelog-console [part~="toolbar"]');
const toggle = (page: Page) => page.locator('livelog-console [part~="controls-toggle"]');

describe('the console on a phone (390 px; issue 15, item 6)', () => {
  it('collapses the toolbar behind one button, and opens the Sources menu on screen', async () => {
    const { page } = await openPhone();
    const level = page.locator('livelog-console [aria-label="Minimum level"]');
    // Collapsed: the search and one button, in one row.
    expect(await toggle(page).isVisible()).toBe(true);
    expect(await toggle(page).getAttribute('aria-expanded')).toBe('false');
    expect(await level.isVisible()).toBe(false);
    expect(await page.locator('livelog-console #search').isVisible()).toBe(true);
    const collapsed = (await toolbar(page).boundingBox())?.height ?? 0;
    expect(collapsed).toBeLessThanOrEqual(48);
    await screenshot(page, 'phone-collapsed');

    await toggle(page).click();
    expect(await toggle(page).getAttribute('aria-expanded')).toBe('true');
    await level.waitFor();
    await page.locator('livelog-console [part~="sources"] summary').click();
    const boxes = await page.locator('livelog-console [part~="sources"] input[type="checkbox"]').evaluateAll((inputs) =>
      inputs.map((input) => {
        const box = input.getBoundingClientRect();
        return { left: box.left, right: box.right };
      }),
    );
    expect(boxes).toHaveLength(SOURCES.length);
    for (const box of boxes) {
      expect(box.left).toBeGreaterThanOrEqual(0);
      expect(box.right).toBeLessThanOrEqual(WIDTH);
    }
    const menu = await page.locator('livelog-console [part~="sources"] .menu-body').boundingBox();
    expect(menu?.x).toBeGreaterThanOrEqual(0);
    expect((menu?.x ?? 0) + (menu?.width ?? 0)).toBeLessThanOrEqual(WIDTH);
    await screenshot(page, 'phone-sources');
    expect(await axeViolations(page)).toEqual([]);
    // A source chosen from it filters.
    await page.locator('livelog-console [part~="sources"] label', { hasText: 'payments-service' }).click();
    await waitFor(async () => (await consoleCall<number>(page, 'c.getStats().shown')) === 60, { what: 'one source shown' });

    await toggle(page).click();
    expect(await level.isVisible()).toBe(false);
  });

  it('keeps the "new lines" pill off the last row', async () => {
    const { page, url } = await openPhone();
    await consoleCall(page, 'c.pause()');
    expect((await postLogs(url, lines(5, 301))).status).toBe(200);
    const pill = page.locator('livelog-console .pill');
    await waitFor(async () => (await pill.textContent())?.includes('5 new lines') === true, { what: 'the pill' });
    // At the very end of the list, the last row shows whole above the pill.
    await page.locator('livelog-console .viewport').evaluate((viewport) => {
      viewport.scrollTop = viewport.scrollHeight;
    });
    await page.locator('livelog-console .row[data-seq="305"]').waitFor();
    await waitFor(
      async () => {
        const [last, over] = [await page.locator('livelog-console .row[data-seq="305"]').boundingBox(), await pill.boundingBox()];
        return last !== null && over !== null && last.y + last.height <= over.y;
      },
      { what: 'the last row above the pill' },
    );
    await screenshot(page, 'phone-pill');
  });

  it('keeps the last row above the pill when the console gets shorter at the end of the list (the header wraps)', async () => {
    // Reproduces the flaky test above: the header's sources load late, it wraps to a second line,
    // and the console lost 48 px while the view was at its end, which slid the last row under the pill.
    const { page, url } = await openPhone();
    await consoleCall(page, 'c.pause()');
    expect((await postLogs(url, lines(5, 301))).status).toBe(200);
    const pill = page.locator('livelog-console .pill');
    await waitFor(async () => (await pill.textContent())?.includes('5 new lines') === true, { what: 'the pill' });
    const viewport = page.locator('livelog-console .viewport');
    await viewport.evaluate((element) => {
      element.scrollTop = element.scrollHeight;
    });
    const last = page.locator('livelog-console .row[data-seq="305"]');
    const lastAbovePill = async (): Promise<boolean> => {
      const [row, over] = [await last.boundingBox(), await pill.boundingBox()];
      return row !== null && over !== null && row.y + row.height <= over.y;
    };
    await waitFor(lastAbovePill, { what: 'the last row above the pill' });
    const before = await viewport.evaluate((element) => element.clientHeight);
    await page.evaluate(() => {
      const header = document.querySelector('livelog-app')?.shadowRoot?.querySelector('header');
      if (header) header.style.paddingBottom = '54px';
    });
    await waitFor(async () => (await viewport.evaluate((element) => element.clientHeight)) < before, {
      what: 'a shorter console',
    });
    await waitFor(lastAbovePill, { what: 'the last row above the pill in the shorter console' });
    expect(await consoleCall<boolean>(page, 'c.following')).toBe(false);
  });
});
