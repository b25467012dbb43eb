import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { postLogs, startServer, type TestServer, waitFor } from '@livelog/test-utils';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadedSeqs, useBrowser } from './support/browser.js';

/** axe-core from node_modules, injected into the page: no network needed. */
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

const suite = useBrowser();
let server: TestServer;

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
/** Every ANSI foreground, plain and bright: a program's colors must stay readable in both themes. */
const ANSI = [
  ...Array.from({ length: 8 }, (_, i) => `\u001b[${30 + i}mc${i}\u001b[0m`),
  ...Array.from({ length: 8 }, (_, i) => `\u001b[${90 + i}mb${i}\u001b[0m`),
].join(' ');

beforeAll(async () => {
  server = await startServer();
  const body = LEVELS.map((level, i) =>
    JSON.stringify({ msg: `${level} line ${ANSI}`, level, source: ['api', 'db'][i % 2], user: { id: i } }),
  );
  expect((await postLogs(server.url, `${body.join('\n')}\n`)).status).toBe(200);
});
afterAll(async () => {
  await server?.close();
});

async function open(colorScheme: 'light' | 'dark'): Promise<Page> {
  const { page, watch } = await suite.openPage({ colorScheme });
  suite.defer(async () => {
    expect(watch.errors).toEqual([]);
    await page.context().close();
  });
  await page.goto(`${server.url}/`);
  await waitFor(async () => (await loadedSeqs(page)).length === LEVELS.length, { what: 'the lines' });
  await page.locator('livelog-console .row[data-seq="6"]').waitFor();
  return page;
}

/** axe's violations on the whole page (open shadow roots included), one readable line each. */
async function violations(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE);
  const result = await page.evaluate(() =>
    (
      window as unknown as {
        axe: {
          run(
            context: Document,
            options: object,
          ): Promise<{ violations: { id: string; help: string; nodes: { target: unknown; failureSummary?: string }[] }[] }>;
        };
      }
    ).axe.run(document, { resultTypes: ['violations'] }),
  );
  return result.violations.flatMap((violation) =>
    violation.nodes.map(
      (node) => `${violation.id}: ${violation.help} at ${JSON.stringify(node.target)}: ${node.failureSummary?.replace(/\s+/g, ' ') ?? ''}`,
    ),
  );
}

/** A description of the focused element, through shadow roots. */
function focused(page: Page): Promise<{ name: string; outline: string; ring: string }> {
  return page.evaluate(() => {
    let element: Element | null = document.activeElement;
    while (element?.shadowRoot?.activeElement) element = element.shadowRoot.activeElement;
    const html = element as HTMLElement | null;
    const label = html instanceof HTMLInputElement ? html.labels?.[0]?.textContent?.trim() : undefined;
    const name = html?.getAttribute('aria-label') ?? label ?? html?.textContent?.trim() ?? '';
    // Text fields show focus on their search box, everything else on itself.
    const ringHolder = html?.closest('.search') ?? html;
    const style = ringHolder ? getComputedStyle(ringHolder) : undefined;
    return {
      name,
      outline: html ? getComputedStyle(html).outlineStyle : '',
      ring: style ? `${style.outlineStyle} ${style.outlineWidth}` : '',
    };
  });
}

describe('accessibility', () => {
  for (const scheme of ['light', 'dark'] as const) {
    it(`has no axe violations in the ${scheme} theme: lines, selection, marks, menus, help`, async () => {
      const page = await open(scheme);
      const background = await page.locator('livelog-console').evaluate((element) => getComputedStyle(element).backgroundColor);
      expect(background).toBe(scheme === 'light' ? 'rgb(255, 255, 255)' : 'rgb(13, 17, 23)');
      await page.locator('livelog-console #highlight').fill('line, c1');
      await page.locator('livelog-console #search').fill('line');
      await page.locator('livelog-console .row[data-seq="3"]').click();
      await page.locator('livelog-console .row.selected .detail').waitFor();
      expect(await violations(page)).toEqual([]);

      await page.locator('livelog-console details[part="sources"] summary').click();
      await page.locator('livelog-console details[part="sources"] label').first().waitFor();
      expect(await violations(page)).toEqual([]);
      await page.locator('livelog-console details[part="sources"] summary').click();

      await page.locator('livelog-console details[part="download"] summary').click();
      expect(await violations(page)).toEqual([]);
      await page.locator('livelog-console details[part="download"] summary').click();

      await page.locator('livelog-console button[aria-label="Keyboard shortcuts"]').click();
      await page.locator('livelog-console [role="dialog"]').waitFor();
      expect(await violations(page)).toEqual([]);
    });
  }

  it('can be driven from the keyboard alone: Tab order through the toolbar, arrows, menus, toggles, help', async () => {
    const page = await open('light');
    const order: string[] = [];
    await waitFor(async () => (await page.locator('livelog-app nav button').count()) === 2, { what: 'the sources in the header' });
    await page.locator('body').focus();
    for (let i = 0; i < 19; i++) {
      await page.keyboard.press('Tab');
      const now = await focused(page);
      order.push(now.name);
      // Every stop shows where focus is.
      expect(now.ring, `focus ring on ${now.name}`).toMatch(/^(solid|auto) [1-9]/);
    }
    expect(order).toEqual([
      // The stream picker comes first in the header.
      'Stream: default ▾',
      'api',
      'db',
      'Filter lines by text',
      'Regular expression',
      'Invert match',
      'Query syntax help',
      'Minimum level',
      'Sources: All sources',
      'Time range: All time',
      'Highlight terms, comma-separated',
      'Pause',
      'Wrap',
      'UTC',
      'Switch to dark theme',
      'Download',
      'Fullscreen',
      'Keyboard shortcuts',
      'Log lines',
    ]);

    // Back to the toolbar: arrows, Home and End move between its buttons.
    await page.locator('livelog-console button', { hasText: 'Wrap' }).focus();
    await page.keyboard.press('ArrowRight');
    expect((await focused(page)).name).toBe('UTC');
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('ArrowLeft');
    expect((await focused(page)).name).toBe('Pause');
    await page.keyboard.press('End');
    expect((await focused(page)).name).toBe('Keyboard shortcuts');
    await page.keyboard.press('Home');
    expect((await focused(page)).name).toBe('Filter lines by text');

    // Toggles work with Enter and Space.
    const wrap = page.locator('livelog-console button', { hasText: 'Wrap' });
    await wrap.focus();
    await page.keyboard.press('Enter');
    await waitFor(async () => (await wrap.getAttribute('aria-pressed')) === 'true');
    await page.keyboard.press('Space');
    await waitFor(async () => (await wrap.getAttribute('aria-pressed')) === 'false');

    // The sources menu: open it, tick a source, leave it with Escape back on its button.
    await page.locator('livelog-console details[part="sources"] summary').focus();
    await page.keyboard.press('Enter');
    await page.keyboard.press('Tab');
    expect((await focused(page)).name).toBe('api');
    await page.keyboard.press('Space');
    await waitFor(async () => {
      const sources = await page.locator('livelog-console .row[data-seq] .src').allTextContents();
      return sources.length > 0 && sources.every((source) => source === 'api');
    });
    await page.keyboard.press('Escape');
    expect(await page.locator('livelog-console details[part="sources"]').getAttribute('open')).toBeNull();
    expect((await focused(page)).name).toBe('Sources: 1 source');

    // Help: focus moves into the dialog, stays there, and comes back when it closes.
    await page.locator('livelog-console button[aria-label="Keyboard shortcuts"]').focus();
    await page.keyboard.press('Enter');
    await page.locator('livelog-console [role="dialog"]').waitFor();
    await waitFor(async () => (await focused(page)).name === 'Close');
    await page.keyboard.press('Tab');
    expect((await focused(page)).name).toBe('Close');
    await page.keyboard.press('Escape');
    await page.locator('livelog-console [role="dialog"]').waitFor({ state: 'detached' });
    await waitFor(async () => (await focused(page)).name === 'Keyboard shortcuts', { what: 'focus back on the help button' });
  });
});
