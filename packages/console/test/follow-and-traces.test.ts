import { readFileSync } from 'node:fs';
import { ChaosProxy, delay, ingest, postLogs, waitFor } from '@livelog/test-utils';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { axeViolations } from './support/axe.js';
import { consoleCall, loadedSeqs, pageEvents, screenshot, useBrowser } from './support/browser.js';
import { spawnFresh } from './support/spawned.js';

const suite = useBrowser();

async function newPage(width = 1200): Promise<Page> {
  const { page, watch } = await suite.openPage({ width, height: 700 });
  suite.defer(async () => {
    expect(watch.errors).toEqual([]);
    await page.context().close();
  });
  return page;
}

const live = (page: Page) => page.locator('livelog-console .state[data-state="live"]').waitFor();
const row = (page: Page, seq: number) => page.locator(`livelog-console .row[data-seq="${seq}"]`);
const following = (page: Page) => consoleCall<boolean>(page, 'c.following');

/** A page on `url`'s last `lines` lines, live, with all of them loaded. */
async function openTail(url: string, lines: number): Promise<Page> {
  const page = await newPage();
  await page.goto(`${url}/?tail=${lines}`);
  await live(page);
  await waitFor(async () => (await loadedSeqs(page)).length === lines, { what: 'the tail' });
  return page;
}

/** Whether the row of `seq` is inside the viewport's visible box. */
async function rowInView(page: Page, seq: number): Promise<boolean> {
  const [box, viewport] = [await row(page, seq).boundingBox(), await page.locator('livelog-console .viewport').boundingBox()];
  return box !== null && viewport !== null && box.y >= viewport.y - 1 && box.y + 20 <= viewport.y + viewport.height + 1;
}

describe('expanding a line pauses following (issue 15, item 1)', () => {
  it('keeps the expanded line in view in a busy stream, says why it is paused, and the pill resumes and collapses it', async () => {
    const server = await spawnFresh(suite.defer);
    await ingest(server.url, 200, 'before');
    const page = await openTail(server.url, 200);
    let flowing = true;
    const flow = (async () => {
      for (let batch = 0; flowing && batch < 400; batch++) {
        await ingest(server.url, 10, `flow-${batch}`);
        await delay(25);
      }
    })();
    suite.defer(async () => {
      flowing = false;
      await flow;
    });
    await waitFor(async () => ((await loadedSeqs(page)).at(-1) ?? 0) > 300, { what: 'lines flowing' });

    // A click near the bottom of the moving list, as a person would: whichever line is there is expanded.
    const box = await page.locator('livelog-console .viewport').boundingBox();
    await page.mouse.click((box?.x ?? 0) + 300, (box?.y ?? 0) + (box?.height ?? 0) - 70);
    const selected = await waitFor(
      async () => (await pageEvents(page)).find((event) => event.type === 'livelog-select')?.detail.entry as { seq: number } | undefined,
      { what: 'a selected line' },
    );
    const seq = selected.seq;
    await row(page, seq).locator('.detail').waitFor();
    expect(await following(page)).toBe(false);
    const pill = page.locator('livelog-console .pill');
    await waitFor(async () => (await pill.textContent())?.startsWith('Paused — line expanded · ↓') === true, {
      what: 'the pill saying why',
    });

    // 300 more lines later the expanded line is still where it was, still expanded.
    const newest = (await loadedSeqs(page)).at(-1) ?? 0;
    await waitFor(async () => ((await loadedSeqs(page)).at(-1) ?? 0) > newest + 300, { what: '300 more lines', timeoutMs: 30_000 });
    expect(await following(page)).toBe(false);
    expect(await row(page, seq).locator('.detail').count()).toBe(1);
    expect(await rowInView(page, seq)).toBe(true);
    // The expanded part shows whole, above the pill.
    const [detail, pillBox] = [await row(page, seq).locator('.detail').boundingBox(), await pill.boundingBox()];
    expect((detail?.y ?? 0) + (detail?.height ?? 0)).toBeLessThanOrEqual(pillBox?.y ?? 0);
    expect(await pill.textContent()).toMatch(/^Paused — line expanded · ↓ [\d,]+ new lines$/);
    await screenshot(page, 'line-expanded-paused');

    // The pill resumes: the view follows again and the expanded line collapses (it would scroll away).
    await pill.click();
    await waitFor(() => following(page), { what: 'following again' });
    await waitFor(async () => (await page.locator('livelog-console .detail').count()) === 0, { what: 'the line collapsed' });
    expect(await pill.count()).toBe(0);
    const events = await page.evaluate(
      () => (window as unknown as { __events: { type: string; detail: { entry?: { seq: number } } }[] }).__events,
    );
    const selections = events.filter((event) => event.type === 'livelog-select').map((event) => event.detail.entry?.seq);
    expect(selections).toEqual([seq, undefined]);
  });

  it('a line that moves between press and release is still the one the click expands; a drag across lines expands none', async () => {
    const server = await spawnFresh(suite.defer);
    await ingest(server.url, 300, 'still');
    const page = await openTail(server.url, 300);
    const selections = async () => (await pageEvents(page)).filter((event) => event.type === 'livelog-select');
    const box = await page.locator('livelog-console .viewport').boundingBox();
    const [x, y] = [(box?.x ?? 0) + 300, (box?.y ?? 0) + 200];
    await consoleCall(
      page,
      `c.shadowRoot.addEventListener('pointerdown', (event) => { window.pressed = Number(event.target.closest('.row[data-seq]')?.dataset.seq); }, true)`,
    );
    await page.mouse.move(x, y);
    await page.mouse.down();
    const pressed = await page.evaluate(() => (window as unknown as { pressed: number }).pressed);
    // The list moves under the still pointer before the release, as one more frame of following would.
    await consoleCall(page, `(c.shadowRoot.querySelector('.viewport').scrollTop -= 45, 0)`);
    await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
    await page.mouse.up();
    const selected = await waitFor(async () => (await selections()).at(-1)?.detail.entry as { seq: number } | undefined, {
      what: 'the selected line',
    });
    expect(selected.seq).toBe(pressed);
    await row(page, pressed).locator('.detail').waitFor();
    // A drag from one line to another selects text, not a line.
    await page.keyboard.press('Escape');
    const before = (await selections()).length;
    await page.mouse.move(x, y + 60);
    await page.mouse.down();
    await page.mouse.move(x + 80, y + 130, { steps: 5 });
    await page.mouse.up();
    await delay(300);
    expect((await selections()).slice(before).filter((event) => event.detail.entry !== undefined)).toEqual([]);
  });

  // At CI load a press once found following still on two frames later. Reproduced with a slowed page:
  // the press landed on the empty view of a render that scrolled to the end without drawing the newest
  // lines, and a press beside the lines is the reader's scroll, which does not pause. Fixed in the list
  // (see 'a followed list shows its newest lines'); no retry needed.
  it('a press on a line in a busy stream pauses and stays paused, and the click expands that line (5 presses)', async () => {
    // Reproduces: the press counted as the reader's scroll, so the list's own scroll to the end of the
    // frame before (its event comes a frame late) read as scrolling back to the end and resumed
    // following: the line moved away between press and release and the click hit another one.
    const server = await spawnFresh(suite.defer);
    await ingest(server.url, 200, 'before');
    const page = await openTail(server.url, 200);
    let flowing = true;
    const flow = (async () => {
      for (let batch = 0; flowing && batch < 600; batch++) {
        await ingest(server.url, 10, `flow-${batch}`);
        await delay(25);
      }
    })();
    suite.defer(async () => {
      flowing = false;
      await flow;
    });
    const box = await page.locator('livelog-console .viewport').boundingBox();
    const [x, y] = [(box?.x ?? 0) + 300, (box?.y ?? 0) + (box?.height ?? 0) - 70];
    // The line under the pointer when it is pressed, read in the page as the press happens.
    await consoleCall(
      page,
      `c.shadowRoot.addEventListener('pointerdown', (event) => { window.pressed = Number(event.target.closest('.row[data-seq]')?.dataset.seq); }, true)`,
    );
    const frames = () => page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
    for (let press = 1; press <= 5; press++) {
      const before = ((await loadedSeqs(page)).at(-1) ?? 0) + 20;
      await waitFor(async () => ((await loadedSeqs(page)).at(-1) ?? 0) > before && (await following(page)), {
        what: `lines flowing, followed (press ${press})`,
      });
      await page.mouse.move(x, y);
      await page.mouse.down();
      await frames();
      const landed = await page.evaluate(() => (window as unknown as { pressed: number }).pressed);
      expect(await following(page), `press ${press} on line ${landed}`).toBe(false);
      await frames();
      expect(await following(page), `press ${press}, four frames on`).toBe(false);
      const pressed = await page.evaluate(() => (window as unknown as { pressed: number }).pressed);
      await page.mouse.up();
      const selected = await waitFor(
        async () =>
          (await pageEvents(page)).filter((event) => event.type === 'livelog-select').at(-1)?.detail.entry as { seq: number } | undefined,
        { what: `the selected line (press ${press})` },
      );
      expect(selected.seq, `press ${press}`).toBe(pressed);
      await consoleCall(page, 'c.goLive()');
    }
  });
});

describe('a followed list shows its newest lines in the render that scrolls to them', () => {
  it('has a line under every point of the view after each render, when far more lines arrive at once than it renders beyond the view', async () => {
    // Reproduces: the list scrolled to its end after a render that drew the rows around the old scroll
    // offset (the virtual list learns the new one from the scroll event, a frame later). When more
    // lines arrived than the rows drawn beyond the view, the view was empty for that frame, long under
    // load: a click there landed on no line and expanded nothing (CI: the busy-stream click above).
    const server = await spawnFresh(suite.defer);
    await ingest(server.url, 200, 'before');
    const page = await openTail(server.url, 200);
    // What each render leaves to paint, read right after it (its updated() scrolls to the end): a view
    // with nothing under a point would paint empty there until the next frame.
    await consoleCall(
      page,
      `(() => {
        window.empty = [];
        window.renders = 0;
        const updated = c.updated;
        c.updated = function (changed) {
          updated.call(this, changed);
          window.renders++;
          const box = this.shadowRoot.querySelector('.viewport').getBoundingClientRect();
          for (const y of [box.top + 30, box.top + box.height / 2, box.bottom - 30]) {
            const hit = this.shadowRoot.elementFromPoint(box.left + 300, y);
            if (hit?.closest('.row[data-seq]') == null) window.empty.push({ y: Math.round(y - box.top), hit: hit?.className, lines: this.entries.length });
          }
          // A press on a line drawn at the end before the list heard of its scroll there: the render
          // its pause causes must keep that line's element, or the browser sends no click.
          const hit = this.shadowRoot.elementFromPoint(box.left + 300, box.bottom - 30);
          if (this.entries.length > (window.pressAfter ?? Infinity) && this.following && hit?.closest('.row[data-seq]')) {
            window.pressAfter = undefined;
            hit.dispatchEvent(new PointerEvent('pointerdown', { bubbles: true, composed: true, button: 0, clientX: box.left + 300, clientY: box.bottom - 30 }));
            this.updateComplete.then(() => { window.pressed = { paused: !this.following, kept: hit.isConnected }; });
          }
        };
      })()`,
    );
    // Each batch is 20 times the 12 rows drawn beyond the view.
    for (const batch of [1, 2, 3]) {
      await ingest(server.url, 240, `burst-${batch}`);
      await waitFor(async () => (await loadedSeqs(page)).length === 200 + batch * 240, { what: `burst ${batch}` });
      await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
    }
    expect(await following(page)).toBe(true);
    expect(await page.evaluate(() => (window as unknown as { renders: number }).renders)).toBeGreaterThan(0);
    expect(await page.evaluate(() => (window as unknown as { empty: unknown[] }).empty)).toEqual([]);

    await page.evaluate(() => {
      // The first render of the next burst presses.
      (window as unknown as { pressAfter: number }).pressAfter = 200 + 3 * 240;
    });
    await ingest(server.url, 240, 'burst-4');
    const pressed = await waitFor(() => page.evaluate(() => (window as unknown as { pressed?: unknown }).pressed), { what: 'the press' });
    expect(pressed).toEqual({ paused: true, kept: true });
  });
});

describe('a grouped stack trace is one row (issue 15, item 2)', () => {
  it('shows its first line with "+N lines", expands to every line, and "≥ error" keeps the whole trace as one entry', async () => {
    const server = await spawnFresh(suite.defer);
    const trace = readFileSync(new URL('../../core/test/trace-corpus/java-printstacktrace.txt', import.meta.url), 'utf8');
    // The corpus's own 2024 timestamps would fall out of retention: keep the receive time.
    const reply = await postLogs(server.url, trace, 'text/plain', {}, '?source=java&time=received');
    expect(reply.status).toBe(200);
    const lines = trace.split('\n').slice(0, -1);
    const page = await newPage();
    await page.goto(`${server.url}/`);
    await live(page);
    await waitFor(async () => (await loadedSeqs(page)).length === 5, { what: 'five entries' });

    await page.locator('livelog-console [aria-label="Minimum level"]').selectOption('error');
    await waitFor(async () => (await page.locator('livelog-console .row[data-seq]').count()) === 2, { what: 'the two errors' });
    const failed = row(page, 2);
    expect(await failed.locator('.msg').textContent()).toBe(lines[1]);
    expect(await failed.locator('.more').textContent()).toBe('+13 lines');
    expect((await failed.boundingBox())?.height).toBe(20);
    expect(await row(page, 4).locator('.more').textContent()).toBe('+2 lines');

    await failed.locator('.more').click();
    const full = failed.locator('[part="message-expanded"]');
    await full.waitFor();
    expect(await full.textContent()).toBe(lines.slice(1, 15).join('\n'));
    expect(await full.evaluate((element) => getComputedStyle(element).whiteSpace)).toBe('pre-wrap');
    // The frames are inside the expanded entry, not rows of their own.
    expect(await full.textContent()).toContain('\tat App.load(App.java:13)');
    expect(await page.locator('livelog-console .row[data-seq]').count()).toBe(2);
    expect(await axeViolations(page)).toEqual([]);
  });
});

describe('the line rate counts live arrivals only (issue 15, item 4)', () => {
  it('is 0 after loading the tail, after a filter change and after a resume, and counts lines written while watching', async () => {
    const server = await spawnFresh(suite.defer);
    await ingest(server.url, 3000, 'old');
    const proxy = await ChaosProxy.start({ port: server.port });
    suite.defer(() => proxy.close());
    const page = await newPage();
    await page.goto(proxy.url('/?tail=1000'));
    await live(page);
    await waitFor(async () => (await loadedSeqs(page)).length === 1000, { what: 'the tail' });
    const rate = () => consoleCall<number>(page, 'c.getStats().rate');
    const header = page.locator('livelog-app [aria-label="Line rate"]');
    // The header polls once a second: two polls, both 0 (the tail was counted as ~200 lines/s before).
    await delay(2100);
    expect(await rate()).toBe(0);
    expect(await header.textContent()).toBe('0 lines/s');

    // A widening filter change reloads the tail: still history, still 0.
    await page.locator('livelog-console [aria-label="Minimum level"]').selectOption('warn');
    await page.locator('livelog-console [aria-label="Minimum level"]').selectOption('');
    await waitFor(async () => (await loadedSeqs(page)).length === 1000 && (await loadedSeqs(page))[0] === 2001, { what: 'the tail again' });
    await live(page);
    expect(await rate()).toBe(0);

    // Lines written while watching count: 40 lines over a window of at least one second.
    await ingest(server.url, 40, 'new');
    await waitFor(async () => (await loadedSeqs(page)).at(-1) === 3040, { what: 'the new lines' });
    const measured = await rate();
    expect(measured).toBeGreaterThan(0);
    expect(measured).toBeLessThanOrEqual(40);

    // While reconnecting nothing is known; a replay of 2,000 lines written meanwhile is not an arrival rate.
    proxy.refuse(true);
    proxy.cutAll();
    await page.locator('livelog-console .state[data-state="reconnecting"]').waitFor();
    expect(await rate()).toBe(0);
    await ingest(server.url, 2000, 'away');
    proxy.refuse(false);
    await page.locator('livelog-console .recovered', { hasText: 'Recovered 2,000 lines' }).waitFor({ timeout: 30_000 });
    expect(await loadedSeqs(page)).toEqual(Array.from({ length: 3040 }, (_, i) => 2001 + i));
    expect(await rate()).toBe(0);
  });
});
