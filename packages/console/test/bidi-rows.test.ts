import { postLogs, startServer, waitFor } from '@livelog/test-utils';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { loadedSeqs, useBrowser } from './support/browser.js';

// Regression: a row's parts are inline spans of one paragraph, so a bidi control a log line carries
// (U+202E RIGHT-TO-LEFT OVERRIDE, the "txt.exe" spoof, or an unclosed U+2067 isolate) reached past its
// message: the fields and the "+N lines" chip after it were drawn reversed, left of the message.
const suite = useBrowser();

/** The horizontal extent of each part of the row of `seq`, as drawn. */
function parts(page: Page, seq: number): Promise<Record<string, { left: number; right: number; text: string }>> {
  return page.evaluate((seq) => {
    const root = document.querySelector('livelog-app')?.shadowRoot?.querySelector('livelog-console')?.shadowRoot;
    const row = root?.querySelector(`.row[data-seq="${seq}"]`);
    const out: Record<string, { left: number; right: number; text: string }> = {};
    for (const part of row?.querySelectorAll<HTMLElement>(':scope > span') ?? []) {
      const box = part.getBoundingClientRect();
      out[part.classList[0] as string] = { left: box.left, right: box.right, text: part.textContent ?? '' };
    }
    return out;
  }, seq);
}

describe('bidi controls in a log line', () => {
  it('stay inside the message: its fields and its "+N lines" are drawn after it', async () => {
    const server = await startServer();
    suite.defer(() => server.close());
    const lines = [
      { msg: '\u202eevil override txt.exe', user: 'bob' },
      { msg: 'opened \u2067unclosed isolate', user: 'ann', source: 'api' },
      { msg: '\u202eoverride\nsecond line', user: 'eve' },
    ];
    expect((await postLogs(server.url, `${lines.map((line) => JSON.stringify(line)).join('\n')}\n`)).status).toBe(200);
    const page = await suite.openAt(`${server.url}/`);
    await waitFor(async () => (await loadedSeqs(page)).length === lines.length, { what: 'the lines' });
    for (const seq of [1, 2, 3]) {
      const row = await parts(page, seq);
      const order = ['time', 'lvl', 'src', 'msg', 'fields', ...(seq === 3 ? ['more'] : [])];
      expect(Object.keys(row).filter((name) => order.includes(name))).toEqual(order);
      for (let i = 1; i < order.length; i++) {
        const before = row[order[i - 1] as string] as { right: number };
        const after = row[order[i] as string] as { left: number; text: string };
        expect(after.left, `line ${seq}: ${order[i]} (${after.text}) starts after ${order[i - 1]}`).toBeGreaterThanOrEqual(
          before.right - 1,
        );
      }
    }
  });
});
