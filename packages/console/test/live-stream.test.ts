import { ChaosProxy, delay, getJson, ingest, startServer, type TestServer, waitFor } from '@livelog/test-utils';
import { describe, expect, it } from 'vitest';
import { consoleCall, loadedSeqs, pageEvents, screenshot, useBrowser } from './support/browser.js';

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

const suite = useBrowser();

async function serve(input: Parameters<typeof startServer>[0] = {}): Promise<{ server: TestServer; proxy: ChaosProxy }> {
  // A short `retry:` keeps reconnects quick: the client's backoff starts from the server's value.
  const server = await startServer({ retry: '5ms', ...input });
  suite.defer(() => server.close());
  const proxy = await ChaosProxy.start({ port: Number(new URL(server.url).port) });
  suite.defer(() => proxy.close());
  return { server, proxy };
}

describe('the dashboard streams lines live and never loses one', () => {
  it('shows lines ingested while the page is open, in order', async () => {
    const { server } = await serve();
    const { page, watch } = await suite.openPage();
    suite.defer(() => page.context().close());
    await page.goto(`${server.url}/`);
    await page.locator('livelog-console .state[data-state="live"]').waitFor();
    await ingest(server.url, 300, 'first');
    await ingest(server.url, 200, 'second');
    await waitFor(async () => (await loadedSeqs(page)).length === 500, { what: '500 lines in the page' });
    expect(await loadedSeqs(page)).toEqual(range(1, 500));
    // Following: the newest line is on screen.
    await page.locator('livelog-console .row[data-seq="500"]').waitFor();
    expect(await page.locator('livelog-console .row[data-seq="500"] .msg').textContent()).toBe('second 200');
    expect(watch.errors).toEqual([]);
  });

  it('works under a base path, with relative URLs only', async () => {
    const { server } = await serve({ basePath: '/team/logs' });
    expect(server.url.endsWith('/team/logs')).toBe(true);
    const { page, watch } = await suite.openPage();
    suite.defer(() => page.context().close());
    const requests: string[] = [];
    page.on('request', (request) => requests.push(new URL(request.url()).pathname));
    await page.goto(server.url);
    await page.locator('livelog-console .state[data-state="live"]').waitFor();
    await ingest(server.url, 20, 'based');
    await page.locator('livelog-console .row[data-seq="20"]').waitFor();
    // The bare prefix redirects to `prefix/`; everything after that stays under it.
    expect(requests.filter((path) => !path.startsWith('/team/logs/'))).toEqual(['/team/logs']);
    expect(requests).toContain('/team/logs/api/stream');
    expect(watch.errors).toEqual([]);
  });

  it('holds every seq exactly once after its connection is cut again and again while 20,000 lines flow', async () => {
    const { server, proxy } = await serve();
    const { page, watch } = await suite.openPage();
    suite.defer(() => page.context().close());
    await page.goto(proxy.url('/'));
    await page.locator('livelog-console .state[data-state="live"]').waitFor();

    let flowing = true;
    const flow = (async () => {
      for (let batch = 0; batch < 40; batch++) {
        await ingest(server.url, 500, `chaos-${batch}`);
        await delay(25);
      }
      flowing = false;
    })();
    let cuts = 0;
    while (flowing) {
      await delay(150);
      // Alternate clean cuts with cuts mid-event (mid-character even), where a resume is hardest.
      if (cuts % 2 === 0) proxy.cutAll();
      else proxy.cutAllAfter(1 + Math.floor(Math.random() * 4000));
      cuts++;
    }
    await flow;
    await waitFor(async () => (await loadedSeqs(page)).length >= 20_000, { what: 'all 20,000 lines', timeoutMs: 60_000 });
    expect(cuts).toBeGreaterThanOrEqual(5);
    expect(proxy.cuts).toBeGreaterThanOrEqual(5);
    expect(await loadedSeqs(page)).toEqual(range(1, 20_000));
    const stats = await page.evaluate(() =>
      (document.querySelector('livelog-app') as unknown as { console: { getStats(): { rejected: number } } }).console.getStats(),
    );
    expect(stats.rejected).toBe(0);

    const events = await pageEvents(page);
    const reconnecting = events.findIndex((event) => event.type === 'livelog-status' && event.detail.state === 'reconnecting');
    const recovered = events.findLastIndex((event) => event.type === 'livelog-recovered');
    expect(reconnecting).toBeGreaterThanOrEqual(0);
    expect(recovered).toBeGreaterThan(reconnecting);
    expect(watch.errors).toEqual([]);
  });

  it('marks the exact place and size of a gap left by retention during a long cut', async () => {
    const { server, proxy } = await serve({ retainEntries: 100 });
    const { page } = await suite.openPage({ width: 1000, height: 500 });
    suite.defer(() => page.context().close());
    await page.goto(proxy.url('/'));
    await page.locator('livelog-console .state[data-state="live"]').waitFor();
    await ingest(server.url, 10, 'before');
    await waitFor(async () => (await loadedSeqs(page)).length === 10, { what: 'the first 10 lines' });

    proxy.refuse(true);
    proxy.cutAll();
    await ingest(server.url, 1000, 'during');
    await server.server.engine.pruner.runOnce();
    const oldest = await getJson<{ entries: { seq: number }[] }>(server.url, '/api/logs?from=start&limit=1');
    expect(oldest.body.entries[0]?.seq).toBe(911);
    await page.locator('livelog-console .state[data-state="reconnecting"]').waitFor();
    proxy.refuse(false);

    // The status line says so at once; its button brings the inline marker into view.
    const notice = page.locator('livelog-console .gap-notice');
    await notice.waitFor({ timeout: 30_000 });
    expect(await notice.textContent()).toContain('900 lines removed by retention');
    await waitFor(async () => (await loadedSeqs(page)).length === 110, { what: 'the retained lines after the gap', timeoutMs: 20_000 });
    await notice.click();
    const gap = page.locator('livelog-console .row.gap');
    await gap.waitFor();
    expect(await gap.textContent()).toContain('900 lines removed by retention here (seq 11–910)');
    const around = await page.evaluate(() => {
      const viewport = document
        .querySelector('livelog-app')
        ?.shadowRoot?.querySelector('livelog-console')
        ?.shadowRoot?.querySelector('.spacer');
      const rows = [...(viewport?.querySelectorAll<HTMLElement>('.row') ?? [])].sort(
        (a, b) => Number(a.dataset.index) - Number(b.dataset.index),
      );
      const at = rows.findIndex((row) => row.classList.contains('gap'));
      return [rows[at - 1]?.dataset.seq, rows[at + 1]?.dataset.seq];
    });
    expect(around).toEqual(['10', '911']);
    expect(await loadedSeqs(page)).toEqual([...range(1, 10), ...range(911, 1010)]);
    const gaps = (await pageEvents(page)).filter((event) => event.type === 'livelog-gap');
    expect(gaps.map((event) => event.detail.missed)).toEqual([900]);
    await screenshot(page, 'gap-warning');
  });

  it('marks a gap a history page reports, paging forward from a permalink past what retention removed', async () => {
    const { server } = await serve({ retainEntries: 1000 });
    await ingest(server.url, 600, 'old');
    const oldest = await getJson<{ entries: { id: string }[] }>(server.url, '/api/logs?from=start&limit=1');
    const stream = (oldest.body.entries[0]?.id ?? '').split(':')[0];
    const page = await suite.openAt(`${server.url}/#id=${stream}:5`, { width: 1000, height: 500 });
    await page.locator('livelog-console .row.target[data-seq="5"]').waitFor();
    expect((await loadedSeqs(page)).at(-1)).toBe(504);

    // While the window is on screen, retention passes its end: 505..1100 are gone.
    await ingest(server.url, 1500, 'new');
    await server.server.engine.pruner.runOnce();
    await waitFor(
      async () => {
        await consoleCall(page, `(c.shadowRoot.querySelector('.viewport').scrollTop = 1e9, 0)`);
        return (await loadedSeqs(page)).includes(1101);
      },
      { what: 'the next page, after the gap' },
    );
    // The status line names it; its button brings the one inline marker into view.
    const notice = page.locator('livelog-console .gap-notice');
    await notice.waitFor();
    expect(await notice.textContent()).toContain('596 lines removed by retention');
    await notice.click();
    const gap = page.locator('livelog-console .row.gap');
    await gap.waitFor();
    expect(await gap.count()).toBe(1);
    expect(await gap.textContent()).toContain('596 lines removed by retention here (seq 505–1100)');
    const seqs = await loadedSeqs(page);
    expect(seqs.slice(seqs.indexOf(504), seqs.indexOf(504) + 2)).toEqual([504, 1101]);
    const around = await consoleCall<string[]>(
      page,
      `(() => { const rows = [...c.shadowRoot.querySelectorAll('.row')].sort((a, b) => a.dataset.index - b.dataset.index);
        const at = rows.findIndex((row) => row.classList.contains('gap')); return [rows[at - 1]?.dataset.seq, rows[at + 1]?.dataset.seq]; })()`,
    );
    expect(around).toEqual(['504', '1101']);
    const gaps = (await pageEvents(page)).filter((event) => event.type === 'livelog-gap');
    expect(gaps.map((event) => event.detail.missed)).toEqual([596]);
  });
});
