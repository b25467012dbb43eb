import { startServer, type TestServer, waitFor } from '@livelog/test-utils';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appMessages, useBrowser } from './support/browser.js';

// Regression: a scoped token typed into the console's token prompt used to reopen `default`, which it
// may not read (a 403 and a "failed" header), where the same token in `?token=` landed on a stream
// it may read (streams.test.ts, "a token scoped to some streams").
const suite = useBrowser();
const ADMIN = 'admin-secret-1';
const READER = 'build-reader-secret';
const NOTHING = 'nothing-reader-secret';
let server: TestServer;

beforeAll(async () => {
  server = await startServer({ tokens: [ADMIN, `${READER}:read@build-*`, `${NOTHING}:read@nothing-*`] });
  const post = async (stream: string, msg: string): Promise<void> => {
    const response = await fetch(`${server.url}/api/streams/${stream}/logs`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson', authorization: `Bearer ${ADMIN}` },
      body: `${JSON.stringify({ msg })}\n`,
    });
    expect(response.status).toBe(200);
  };
  await post('default', 'not for builds');
  await post('build-1', 'first build');
  await post('build-2', 'second build');
  // Written last: the readable stream active last.
  await post('build-3', 'third build');
});
afterAll(async () => {
  await server?.close();
});

const open = (path: string): Promise<Page> => suite.openAt(`${server.url}${path}`, { width: 1100, height: 650 });

const consoleState = (page: Page) => page.locator('livelog-console .status .state');
const headerState = (page: Page) => page.locator('livelog-app header .state');

/** Types `token` into the prompt the console shows for a server that needs one, and connects. */
async function typeToken(page: Page, token: string): Promise<void> {
  const prompt = page.locator('livelog-console [part~="empty-state"][data-empty="token"]');
  await prompt.waitFor();
  expect(await prompt.textContent()).toContain('This server needs a token.');
  await prompt.getByLabel('Token').fill(token);
  await prompt.getByRole('button', { name: 'Connect' }).click();
}

/** The page shows `stream` live: its lines, its name in the header, the title and the URL, no 403 left. */
async function expectShown(page: Page, stream: string, line: string): Promise<void> {
  await waitFor(async () => (await appMessages(page)).includes(line), { what: `the lines of ${stream}` });
  await expect.poll(() => consoleState(page).getAttribute('data-state')).toBe('live');
  expect(await appMessages(page)).toEqual([line]);
  expect(await headerState(page).getAttribute('data-state')).toBe('live');
  expect(await consoleState(page).textContent()).not.toMatch(/403|forbidden/i);
  expect(await page.getByRole('button', { name: new RegExp(`^Stream: ${stream}`) }).count()).toBe(1);
  expect(await page.title()).toBe(`${stream} · livelog`);
  const url = new URL(page.url());
  expect(url.searchParams.get('stream')).toBe(stream);
  // The typed token stays in this tab's sessionStorage: never in the URL a user shares.
  expect(url.searchParams.has('token')).toBe(false);
  expect(page.url()).not.toContain(READER);
}

describe('a scoped token typed into the token prompt', () => {
  it('lands on the readable stream active last, as the same token in ?token= does, and lists what it may read', async () => {
    const page = await open('/');
    await typeToken(page, READER);
    await expectShown(page, 'build-3', 'third build');
    // The picker lists with the typed token too.
    await page.getByRole('button', { name: /^Stream: build-3/ }).click();
    const options = page.locator('livelog-stream-picker li button');
    await waitFor(async () => (await options.count()) === 3, { what: 'the three readable streams listed' });
    expect(await options.evaluateAll((buttons) => buttons.map((button) => button.getAttribute('data-stream')))).toEqual([
      'build-3',
      'build-2',
      'build-1',
    ]);
    // Back leaves the landing page, as after `?token=` (the URL was replaced, not pushed).
    expect(await page.evaluate(() => history.length)).toBe(2);

    // The tab keeps the token: `/` opened again lands without asking.
    await page.goto(`${server.url}/`);
    await expectShown(page, 'build-3', 'third build');
  });

  it('a URL naming a readable stream opens that stream, not the one active last', async () => {
    const page = await open('/?stream=build-2');
    await typeToken(page, READER);
    await expectShown(page, 'build-2', 'second build');
  });

  it('a token that may read no stream gets the message the same token in ?token= gets', async () => {
    const fromUrl = await open(`/?token=${NOTHING}`);
    await expect.poll(() => consoleState(fromUrl).getAttribute('data-state')).toBe('failed');
    const expected = await consoleState(fromUrl).textContent();
    expect(expected).toContain('the token does not cover the stream "default"');

    const page = await open('/');
    await typeToken(page, NOTHING);
    await expect.poll(() => consoleState(page).textContent()).toBe(expected);
    expect(await headerState(page).getAttribute('data-state')).toBe(await headerState(fromUrl).getAttribute('data-state'));
    expect(new URL(page.url()).search).toBe('');
  });
});
