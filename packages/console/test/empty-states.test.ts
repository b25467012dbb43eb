import { getJson, ingest, postLogs, waitFor } from '@livelog/test-utils';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { axeViolations } from './support/axe.js';
import { consoleCall, loadedSeqs, screenshot, useBrowser } from './support/browser.js';
import { inConsole, spawnFresh } from './support/spawned.js';

const suite = useBrowser();

async function newPage(): Promise<Page> {
  const { page, watch } = await suite.openPage({ width: 1200, height: 700 });
  suite.defer(async () => {
    expect(watch.errors).toEqual([]);
    await page.context().close();
  });
  return page;
}

const live = (page: Page) => page.locator('livelog-console .state[data-state="live"]').waitFor();
const empty = (page: Page, kind: string) => page.locator(`livelog-console [part~="empty-state"][data-empty="${kind}"]`);
const shownSeqs = (page: Page) =>
  page.locator('livelog-console .row[data-seq]').evaluateAll((rows) => rows.map((row) => Number((row as HTMLElement).dataset.seq)));
const notice = (page: Page) => page.locator('livelog-console .notice');

describe('empty, no-match and error states (issue 15, item 5)', () => {
  it('a fresh server shows how to send the first line, with its own URL, until one arrives', async () => {
    const server = await spawnFresh(suite.defer);
    const page = await newPage();
    await page.goto(`${server.url}/`);
    await live(page);
    const panel = empty(page, 'fresh');
    await panel.waitFor();
    const commands = await panel.locator('code').allTextContents();
    expect(commands).toEqual([
      `curl -X POST '${server.url}/api/logs' -H 'content-type: text/plain' --data-binary 'hello from curl'`,
      `livelog run --server ${server.url} -- npm start`,
      `tail -f app.log | livelog pipe --server ${server.url}`,
    ]);
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'empty-fresh');
    // The curl line works as shown.
    const reply = await postLogs(server.url, 'hello from curl', 'text/plain');
    expect(reply.status).toBe(200);
    await page.locator('livelog-console .row[data-seq="1"]', { hasText: 'hello from curl' }).waitFor();
    expect(await panel.count()).toBe(0);
  });

  it('an invalid regex says why inline and matches nothing; no loaded match offers a search of the whole history', async () => {
    const server = await spawnFresh(suite.defer);
    await postLogs(server.url, `${JSON.stringify({ msg: 'needle-7 found early', level: 'info' })}\n`);
    await ingest(server.url, 2000, 'hay');
    const page = await newPage();
    await page.goto(`${server.url}/?tail=200`);
    await live(page);
    await waitFor(async () => (await loadedSeqs(page)).length === 200, { what: 'the tail' });

    await page.locator('livelog-console [aria-label="Regular expression"]').click();
    await page.locator('livelog-console #search').fill('needle-(');
    const error = page.locator('livelog-console [part="filter-error"]');
    await error.waitFor();
    expect(await error.textContent()).toMatch(/^Invalid regular expression: .*needle-\(/);
    await empty(page, 'invalid-regex').waitFor();
    expect(await shownSeqs(page)).toEqual([]);
    expect(await axeViolations(page)).toEqual([]);

    // A valid regex no loaded line matches: say so, and offer the whole history.
    await page.locator('livelog-console #search').fill('needle-\\d');
    const noLoaded = empty(page, 'no-loaded-match');
    await noLoaded.waitFor();
    expect(await noLoaded.textContent()).toContain('No loaded line matches (200 loaded)');
    await screenshot(page, 'empty-no-loaded-match');
    expect(await axeViolations(page)).toEqual([]);
    expect(await error.count()).toBe(0);
    await noLoaded.getByRole('button', { name: 'Search the whole history' }).click();
    await page.locator('livelog-console .row[data-seq="1"]', { hasText: 'needle-7 found early' }).waitFor({ timeout: 30_000 });
    expect(await shownSeqs(page)).toEqual([1]);

    // Plain text runs on the server over the whole retained log: nothing there says so.
    await page.locator('livelog-console [aria-label="Regular expression"]').click();
    await page.locator('livelog-console #search').fill('no-such-words');
    const none = empty(page, 'no-match');
    await none.waitFor();
    expect(await none.textContent()).toContain('No line in the retained log matches the filter.');
    await none.getByRole('button', { name: 'Clear the filter' }).click();
    await waitFor(async () => (await loadedSeqs(page)).length === 200, { what: 'the tail again' });
  });

  it('a 401 asks for a token, keeps it in sessionStorage (never in the DOM) and connects with it', async () => {
    const token = 'console-ux-token-7f3a';
    const server = await spawnFresh(suite.defer, ['--token', token]);
    await ingest(server.url, 5, 'secret', { authorization: `Bearer ${token}` });
    const page = await newPage();
    await page.goto(`${server.url}/`);
    const prompt = empty(page, 'token');
    await prompt.waitFor();
    expect(await prompt.textContent()).toContain('This server needs a token.');
    await screenshot(page, 'empty-token');
    expect(await axeViolations(page)).toEqual([]);
    await prompt.getByLabel('Token').fill('wrong-token-123');
    await prompt.getByRole('button', { name: 'Connect' }).click();
    await waitFor(async () => ((await prompt.textContent()) ?? '').includes('The token was refused.'), { what: 'the refusal' });

    await prompt.getByLabel('Token').fill(token);
    await prompt.getByRole('button', { name: 'Connect' }).click();
    await live(page);
    await waitFor(async () => (await loadedSeqs(page)).length === 5, { what: 'the lines' });
    expect(await prompt.count()).toBe(0);
    const stored = await page.evaluate(() => Object.entries(sessionStorage).filter(([key]) => key.startsWith('livelog-console:token:')));
    expect(stored).toEqual([[`livelog-console:token:${server.url}/`, token]]);
    // Nowhere in the page's markup, shadow roots included.
    const markup = await page.evaluate(() => {
      const all: string[] = [document.documentElement.outerHTML];
      const walk = (root: Document | ShadowRoot): void => {
        for (const element of root.querySelectorAll('*')) {
          if (element.shadowRoot) {
            all.push(element.shadowRoot.innerHTML);
            walk(element.shadowRoot);
          }
        }
      };
      walk(document);
      return all.join('\n');
    });
    expect(markup).not.toContain(token);
    expect(await page.locator('livelog-console').getAttribute('token')).toBeNull();

    // A reload in the same tab connects without asking.
    await page.reload();
    await live(page);
    await waitFor(async () => (await loadedSeqs(page)).length === 5, { what: 'the lines after the reload' });
    expect(await prompt.count()).toBe(0);
  });

  it('a permalink to another stream explains and shows the live tail; one to a line never written is not "removed by retention"', async () => {
    const server = await spawnFresh(suite.defer);
    await ingest(server.url, 30, 'line');
    const { body } = await getJson<{ entries: { id: string }[] }>(server.url, '/api/logs?limit=1');
    const id = body.entries[0]?.id ?? '';
    const stream = id.slice(0, id.lastIndexOf(':'));
    const foreign = `${stream === 'zzzzzzzz' ? 'yyyyyyyy' : 'zzzzzzzz'}:5`;

    const page = await newPage();
    await page.goto(`${server.url}/#id=${encodeURIComponent(foreign)}`);
    await notice(page).waitFor();
    expect(await notice(page).textContent()).toBe(
      `The link names line ${foreign} of another log (this server's data was reset, or the link is another server's): showing the live tail`,
    );
    await live(page);
    await waitFor(async () => (await loadedSeqs(page)).length === 30, { what: 'the live tail' });
    expect(await consoleCall<string>(page, 'c.getStats().mode')).toBe('live');
    await ingest(server.url, 1, 'after');
    await waitFor(async () => (await loadedSeqs(page)).at(-1) === 31, { what: 'a live line' });

    const future = `${stream}:5000`;
    await page.goto(`${server.url}/?x=1#id=${encodeURIComponent(future)}`);
    await notice(page).waitFor();
    const text = (await notice(page).textContent()) ?? '';
    expect(text).toBe(`Line ${future} does not exist: this log ends at line 31; showing the live tail`);
    expect(text).not.toContain('retention');
    await waitFor(async () => (await loadedSeqs(page)).length === 31, { what: 'the live tail' });
    expect(await inConsole<number>(page, "root.querySelectorAll('.row.target').length")).toBe(0);
  });
});
