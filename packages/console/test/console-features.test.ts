import { readFile } from 'node:fs/promises';
import { ingest, postLogs, startServer, type TestServer, waitFor } from '@livelog/test-utils';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { loadedSeqs, type PageWatch, screenshot, useBrowser } from './support/browser.js';

const suite = useBrowser();

const LEVELS = ['info', 'debug', 'warn', 'error', 'info', 'trace'] as const;
const SOURCES = ['api', 'worker', 'db'] as const;

/** `count` lines cycling through levels and sources: `request <n> …`, every 7th a `timeout`. */
function mixed(count: number, from = 1): string {
  let out = '';
  for (let n = from; n < from + count; n++) {
    const record: Record<string, unknown> = {
      msg: n % 7 === 0 ? `request ${n} timeout after 30s` : `request ${n} handled in ${n % 50}ms \u001b[32mOK\u001b[0m`,
      level: LEVELS[n % LEVELS.length],
      source: SOURCES[n % SOURCES.length],
    };
    if (n % 5 === 0) record.user = { id: n, name: 'ann' };
    out += `${JSON.stringify(record)}\n`;
  }
  return out;
}

async function open(
  lines: number,
  options: { width?: number; colorScheme?: 'light' | 'dark'; path?: string } = {},
): Promise<{ server: TestServer; page: Page; watch: PageWatch }> {
  const server = await startServer({ retry: '5ms' });
  suite.defer(() => server.close());
  for (let sent = 0; sent < lines; sent += 1000) {
    const reply = await postLogs(server.url, mixed(Math.min(1000, lines - sent), sent + 1));
    expect(reply.status).toBe(200);
  }
  const { page, watch } = await suite.openPage(options);
  suite.defer(() => page.context().close());
  await page.goto(`${server.url}/${options.path ?? ''}`);
  await page.locator('livelog-console .state[data-state="live"]').waitFor();
  return { server, page, watch };
}

/** The seqs of the rows in the DOM (the virtual window), in order. */
function renderedRows(page: Page): Promise<{ seq: number; level: string; source: string; text: string }[]> {
  return page.locator('livelog-console .row[data-seq]').evaluateAll((rows) =>
    rows
      .map((row) => ({
        seq: Number((row as HTMLElement).dataset.seq),
        level: (row as HTMLElement).dataset.level ?? '',
        source: row.querySelector('.src')?.textContent ?? '',
        text: row.querySelector('.msg')?.textContent ?? '',
      }))
      .sort((a, b) => a.seq - b.seq),
  );
}

const search = (page: Page) => page.locator('livelog-console #search');
const consoleCall = <T>(page: Page, body: string): Promise<T> =>
  page.evaluate(`(() => { const c = document.querySelector('livelog-app').console; return ${body}; })()`) as Promise<T>;

describe('<livelog-console> features in the dashboard', () => {
  it('filters by level (on the server too), source, text, regex and invert', async () => {
    const { server, page } = await open(600);
    await waitFor(async () => (await loadedSeqs(page)).length === 600);
    await page.locator('livelog-console select[aria-label="Minimum level"]').selectOption('warn');
    await waitFor(async () => (await renderedRows(page)).every((row) => row.level === 'warn' || row.level === 'error'));
    // The stream moved to the server-side filter: new info lines never reach the page.
    await postLogs(
      server.url,
      `${JSON.stringify({ msg: 'quiet info', level: 'info' })}\n${JSON.stringify({ msg: 'loud error', level: 'error' })}\n`,
    );
    await page.locator('livelog-console .row[data-seq="602"]').waitFor();
    expect(await loadedSeqs(page)).not.toContain(601);

    await page.locator('livelog-console select[aria-label="Minimum level"]').selectOption('');
    await page.locator('livelog-console details[part="sources"] summary').click();
    await page.locator('livelog-console details[part="sources"] label', { hasText: 'db' }).locator('input').check();
    await waitFor(async () => {
      const rows = await renderedRows(page);
      return rows.length > 0 && rows.every((row) => row.source === 'db');
    });
    await page.locator('livelog-console details[part="sources"] button', { hasText: 'Show all sources' }).click();

    await search(page).fill('timeout');
    await waitFor(async () => {
      const rows = await renderedRows(page);
      return rows.length > 0 && rows.every((row) => row.text.includes('timeout'));
    });
    await page.locator('livelog-console button[aria-label="Invert match"]').click();
    await waitFor(async () => {
      const rows = await renderedRows(page);
      return rows.length > 0 && rows.every((row) => !row.text.includes('timeout'));
    });
    await page.locator('livelog-console button[aria-label="Invert match"]').click();
    await search(page).fill('^request 5\\d\\d handled');
    await page.locator('livelog-console button[aria-label="Regular expression"]').click();
    await waitFor(async () => {
      const rows = await renderedRows(page);
      return rows.length > 0 && rows.every((row) => /^request 5\d\d handled/.test(row.text));
    });
    await search(page).fill('(');
    await waitFor(async () => (await search(page).getAttribute('aria-invalid')) === 'true');
  });

  it('highlights the search and the highlight terms without filtering', async () => {
    const { page } = await open(120);
    await waitFor(async () => (await loadedSeqs(page)).length === 120);
    const before = (await renderedRows(page)).length;
    await page.locator('livelog-console #highlight').fill('handled, OK');
    await waitFor(async () => (await page.locator('livelog-console mark.m1').count()) > 0);
    expect(await page.locator('livelog-console mark.m1').first().textContent()).toBe('handled');
    expect(await page.locator('livelog-console mark.m2').first().textContent()).toBe('OK');
    expect((await renderedRows(page)).length).toBe(before);
    await search(page).fill('TIMEOUT');
    await waitFor(async () => (await page.locator('livelog-console mark.m0').count()) > 0);
    expect(await page.locator('livelog-console mark.m0').first().textContent()).toBe('timeout');
  });

  it('loads older history when scrolled to the top, joined without a hole', async () => {
    const { page } = await open(3000);
    await waitFor(async () => (await loadedSeqs(page)).length === 1000);
    expect((await loadedSeqs(page))[0]).toBe(2001);
    await page.locator('livelog-console .viewport').focus();
    for (let round = 0; round < 10 && (await loadedSeqs(page))[0] !== 1; round++) {
      await page.keyboard.press('g');
      await waitFor(async () => !(await consoleCall<boolean>(page, 'c.getStats().loaded === 0')));
      await page.waitForFunction(() => {
        const c = document.querySelector('livelog-app')?.shadowRoot?.querySelector('livelog-console');
        return !c?.shadowRoot?.querySelector('.edge')?.textContent?.includes('Loading');
      });
    }
    const seqs = await loadedSeqs(page);
    expect(seqs).toEqual(Array.from({ length: 3000 }, (_, i) => i + 1));
    await page.locator('livelog-console .edge', { hasText: 'Beginning of the retained log' }).waitFor();
  });

  it('opens a permalink around its line, highlights it, and goes back to live', async () => {
    const server = await startServer();
    suite.defer(() => server.close());
    const first = await ingest(server.url, 2000, 'line');
    const stream = first.firstId.slice(0, first.firstId.lastIndexOf(':'));
    const { page } = await suite.openPage();
    suite.defer(() => page.context().close());
    await page.goto(`${server.url}/#id=${stream}:50`);
    const target = page.locator('livelog-console .row.target[data-seq="50"]');
    await target.waitFor();
    expect(await target.locator('.msg').textContent()).toBe('line 50');
    await page.locator('livelog-console .pill').waitFor();
    await page.locator('livelog-console .row.target .detail button', { hasText: 'Copy link' }).click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(`${server.url}/#id=${stream}:50`);
    await page.locator('livelog-console .viewport').focus();
    await page.keyboard.press('Shift+G');
    await page.locator('livelog-console .row[data-seq="2000"]').waitFor();
    expect(await consoleCall<string>(page, 'c.getStats().mode')).toBe('live');
  });

  it('downloads the loaded lines and the whole filtered range', async () => {
    const { page } = await open(2500);
    await waitFor(async () => (await loadedSeqs(page)).length === 1000);
    const download = async (label: string): Promise<string> => {
      await page.locator('livelog-console details[part="download"] summary').click();
      const [file] = await Promise.all([
        page.waitForEvent('download'),
        page.locator('livelog-console details[part="download"] button', { hasText: label }).click(),
      ]);
      return readFile((await file.path()) as string, 'utf8');
    };
    const loaded = (await download('Loaded lines (.log)')).trimEnd().split('\n');
    expect(loaded).toHaveLength(1000);
    expect(loaded[0]).toMatch(
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (INFO |DEBUG|WARN |ERROR|TRACE) \[\w+\] request 1501 handled in 1ms OK/,
    );

    await page.locator('livelog-console select[aria-label="Minimum level"]').selectOption('error');
    const range = (await download('Whole filtered range (.ndjson)'))
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as { seq: number; level: string });
    expect(range.map((entry) => entry.seq)).toEqual(Array.from({ length: 2500 }, (_, i) => i + 1).filter((n) => LEVELS[n % 6] === 'error'));
  });

  it('pauses on Space, counts new lines in a pill, and jumps back down', async () => {
    const { server, page } = await open(200);
    await waitFor(async () => (await loadedSeqs(page)).length === 200);
    await page.locator('livelog-console .viewport').focus();
    await page.keyboard.press('Space');
    await page.locator('livelog-console button[part~="follow"][aria-pressed="false"]').waitFor();
    await ingest(server.url, 50, 'meanwhile');
    const pill = page.locator('livelog-console .pill');
    await pill.waitFor();
    await waitFor(async () => (await pill.textContent())?.includes('50 new lines'));
    // Paused is only the view: the lines are there.
    expect((await loadedSeqs(page)).at(-1)).toBe(250);
    await pill.click();
    await page.locator('livelog-console .row[data-seq="250"]').waitFor();
    expect(await pill.count()).toBe(0);
    // Scrolling up pauses too.
    await page.locator('livelog-console .viewport').hover();
    await page.mouse.wheel(0, -600);
    await page.locator('livelog-console button[part~="follow"][aria-pressed="false"]').waitFor();
  });

  it('scrolls a paused view by reusing rows and leaving no DOM behind, while new lines stay reachable', async () => {
    const server = await startServer();
    suite.defer(() => server.close());
    // `line <n>`, all info but the one numbered `error`.
    const lines = (from: number, count: number, error = 0): string => {
      let out = '';
      for (let n = from; n < from + count; n++) out += `${JSON.stringify({ msg: `line ${n}`, level: n === error ? 'error' : 'info' })}\n`;
      return out;
    };
    expect((await postLogs(server.url, lines(1, 1000))).status).toBe(200);
    const { page, watch } = await suite.openPage();
    suite.defer(async () => {
      expect(watch.errors).toEqual([]);
      await page.context().close();
    });
    await page.goto(`${server.url}/`);
    await page.locator('livelog-console .row[data-seq="1000"]').waitFor();
    const viewport = page.locator('livelog-console .viewport');
    await viewport.focus();
    await page.keyboard.press('Space');
    await page.locator('livelog-console button[part~="follow"][aria-pressed="false"]').waitFor();
    // The list's own scroll at the end, right after Space paused, is not the reader's return there.
    await viewport.evaluate(async (element) => {
      element.dispatchEvent(new Event('scroll'));
      for (let i = 0; i < 2; i++) await new Promise((resolve) => requestAnimationFrame(resolve));
    });
    expect(await page.locator('livelog-console button[part~="follow"]').getAttribute('aria-pressed')).toBe('false');
    await viewport.evaluate((element) => {
      element.scrollTop = 400 * 20;
    });
    await page.locator('livelog-console .row[data-seq="410"]').click();
    await page.locator('livelog-console .row.selected[data-seq="410"]').waitFor();

    const scrolled = await viewport.evaluate(async (element) => {
      const frame = () => new Promise((resolve) => requestAnimationFrame(resolve));
      const row = element.querySelector('.row[data-seq="410"]');
      for (let i = 0; i < 5; i++) {
        element.scrollTop -= 40;
        await frame();
      }
      const kept = element.querySelector('.row[data-seq="410"]') === row;
      for (let i = 0; i < 60; i++) {
        element.scrollTop += i < 30 ? -240 : 240;
        await frame();
      }
      const spacer = element.firstElementChild as Element;
      return { kept, nodes: spacer.childNodes.length, rows: spacer.children.length };
    });
    // A row still in view is the same element: only rows coming into view are created.
    expect(scrolled.kept).toBe(true);
    // Regression: lit-html 3.3's repeat left a marker comment behind for every row that left the view.
    expect(scrolled.nodes).toBeLessThanOrEqual(3 * scrolled.rows + 8);

    // Lines arriving while paused, one of them an error: `e` from the selection reaches it at once,
    // and scrolling down reaches the newest, however late the list counts them.
    const pill = page.locator('livelog-console .pill');
    expect((await postLogs(server.url, lines(1001, 5))).status).toBe(200);
    await waitFor(async () => (await pill.textContent())?.includes('↓ 5 new lines'));
    expect((await postLogs(server.url, lines(1006, 500, 1250))).status).toBe(200);
    await waitFor(async () => (await pill.textContent())?.includes('505 new lines'));
    await viewport.focus();
    await page.keyboard.press('e');
    await page.locator('livelog-console .row.selected[data-seq="1250"]').waitFor();
    await waitFor(
      async () => {
        await viewport.evaluate((element) => {
          element.scrollTop = element.scrollHeight;
        });
        return (await page.locator('livelog-console .row[data-seq="1505"]').count()) === 1;
      },
      { what: 'the newest line at the bottom' },
    );
  });

  it('renders hostile lines as text and runs no script', async () => {
    const server = await startServer();
    suite.defer(() => server.close());
    const hostile = [
      '<script>window.__xss = 1</script>',
      '<img src=x onerror="window.__xss = 2">',
      '\u001b[31m<svg onload="window.__xss = 3"></svg>\u001b[0m',
      '"><iframe srcdoc="<script>parent.__xss=4</script>">',
    ];
    const body = hostile
      .map((msg, i) => JSON.stringify({ msg, source: `<b>src${i}</b>`, html: '<img src=y onerror="window.__xss=5">' }))
      .join('\n');
    expect((await postLogs(server.url, `${body}\n`)).status).toBe(200);
    const { page, watch } = await suite.openPage();
    suite.defer(() => page.context().close());
    await page.goto(`${server.url}/`);
    await page.locator('livelog-console .row[data-seq="4"]').waitFor();
    const texts = (await renderedRows(page)).map((row) => row.text);
    expect(texts).toEqual([
      '<script>window.__xss = 1</script>',
      '<img src=x onerror="window.__xss = 2">',
      '<svg onload="window.__xss = 3"></svg>',
      hostile[3],
    ]);
    expect(
      await page
        .locator(
          'livelog-console .row script, livelog-console .row img, livelog-console .row svg:not([aria-hidden]), livelog-console .row iframe',
        )
        .count(),
    ).toBe(0);
    await page.locator('livelog-console .row[data-seq="2"]').click();
    await page.locator('livelog-console .detail').waitFor();
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
    expect(watch.errors).toEqual([]);
    expect(watch.messages.filter((message) => /error|refused|violat/i.test(message))).toEqual([]);
  });

  it('has a shortcut overlay, error jumps, themes, and fits 360 px', async () => {
    const { page } = await open(300, { colorScheme: 'light' });
    await waitFor(async () => (await loadedSeqs(page)).length === 300);
    await screenshot(page, 'light');
    const background = () => page.locator('livelog-console').evaluate((element) => getComputedStyle(element).backgroundColor);
    expect(await background()).toBe('rgb(255, 255, 255)');
    await page.locator('livelog-console button[aria-label="Switch to dark theme"]').click();
    expect(await background()).toBe('rgb(13, 17, 23)');
    expect(await page.evaluate(() => localStorage.getItem('livelog-theme'))).toBe('dark');
    await screenshot(page, 'dark');

    await page.locator('livelog-console .viewport').focus();
    await page.keyboard.press('?');
    const dialog = page.locator('livelog-console [role="dialog"]');
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain('Next / previous error');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });

    await page.keyboard.press('Shift+E');
    await page.locator('livelog-console .row.selected[data-level="error"]').waitFor();
    const last = Number(await page.locator('livelog-console .row.selected').getAttribute('data-seq'));
    await page.keyboard.press('Shift+E');
    await waitFor(async () => Number(await page.locator('livelog-console .row.selected').getAttribute('data-seq')) === last - 6);
    await page.keyboard.press('e');
    await waitFor(async () => Number(await page.locator('livelog-console .row.selected').getAttribute('data-seq')) === last);

    await page.keyboard.press('/');
    expect(
      await page.evaluate(
        () => document.querySelector('livelog-app')?.shadowRoot?.querySelector('livelog-console')?.shadowRoot?.activeElement?.id,
      ),
    ).toBe('search');

    const { page: narrow } = await suite.openPage({ width: 360, height: 720, colorScheme: 'dark' });
    suite.defer(() => narrow.context().close());
    await narrow.goto(page.url());
    await narrow.locator('livelog-console .row[data-seq="300"]').waitFor();
    const overflow = await narrow.evaluate(() => document.documentElement.scrollWidth);
    expect(overflow).toBeLessThanOrEqual(360);
    await screenshot(narrow, 'narrow-360');
  });
});
