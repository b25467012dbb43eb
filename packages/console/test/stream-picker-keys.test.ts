import { startServer, waitFor } from '@livelog/test-utils';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { appMessages, useBrowser } from './support/browser.js';

// Regression: Enter in the stream picker's search box chose the stream, moved the focus to the
// picker's button, and the same key press then clicked that button: the picker opened again over
// the chosen stream, the focus back in its search box.
const suite = useBrowser();

/** The focused element through shadow roots, as `TAG label`. */
function focused(page: Page): Promise<string> {
  return page.evaluate(() => {
    let element: Element | null = document.activeElement;
    while (element?.shadowRoot?.activeElement) element = element.shadowRoot.activeElement;
    return `${element?.tagName} ${element?.getAttribute('aria-label') ?? element?.textContent?.trim() ?? ''}`;
  });
}

describe('the stream picker from the keyboard', () => {
  it('Enter in its search box opens the first match, closes the picker and leaves the focus on its button', async () => {
    const server = await startServer();
    suite.defer(() => server.close());
    for (const name of ['alpha', 'beta', 'gamma']) {
      const response = await fetch(`${server.url}/api/streams/${name}/logs`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: `hello ${name}\n`,
      });
      expect(response.status).toBe(200);
    }
    const page = await suite.openAt(`${server.url}/`);
    const toggle = page.getByRole('button', { name: /^Stream: / });
    await toggle.focus();
    await page.keyboard.press('Enter');
    const search = page.getByLabel('Search streams by name or label');
    await search.waitFor();
    await waitFor(async () => (await page.locator('livelog-stream-picker li button').count()) >= 3, { what: 'the streams listed' });
    await page.keyboard.type('bet');
    await page.keyboard.press('Enter');

    await waitFor(async () => (await appMessages(page)).includes('hello beta'), { what: 'the stream beta' });
    expect(new URL(page.url()).searchParams.get('stream')).toBe('beta');
    expect(await page.locator('livelog-stream-picker .panel').count()).toBe(0);
    expect(await toggle.getAttribute('aria-expanded')).toBe('false');
    expect(await focused(page)).toBe('BUTTON Stream: beta ▾');
  });
});
