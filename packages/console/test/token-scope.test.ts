import { startServer, type TestServer, waitFor } from '@livelog/test-utils';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appMessages, useBrowser } from './support/browser.js';

// Regression: a token that may not read the stream (an `ingest` token typed into the prompt, or one
// scoped to other streams) got a 403 shown as "Disconnected" with no prompt. The typed token stays in
// the tab's sessionStorage, so every reload sent it again: the tab could not be used any more.
const suite = useBrowser();
const ADMIN = 'admin-secret-1';
const INGEST = 'ingest-only-secret:ingest';
const READER = 'reader-secret:read';
const BUILDS = 'builds-secret:read@build-*';
let server: TestServer;

beforeAll(async () => {
  server = await startServer({ tokens: [ADMIN, INGEST, READER, BUILDS] });
  const response = await fetch(`${server.url}/api/logs`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-ndjson', authorization: `Bearer ${ADMIN}` },
    body: `${JSON.stringify({ msg: 'for readers' })}\n`,
  });
  expect(response.status).toBe(200);
});
afterAll(async () => {
  await server?.close();
});

const prompt = (page: Page) => page.locator('livelog-console [part~="empty-state"][data-empty="token"]');

/** Waits until the token prompt shows `text` (the reason it asks). */
async function promptSays(page: Page, text: string, what: string): Promise<void> {
  await waitFor(
    async () =>
      (
        (await prompt(page)
          .textContent()
          .catch(() => '')) ?? ''
      ).includes(text),
    { what },
  );
}

async function typeToken(page: Page, token: string): Promise<void> {
  await prompt(page).getByLabel('Token').fill(token);
  await prompt(page).getByRole('button', { name: 'Connect' }).click();
}

describe('a token that may not read the stream', () => {
  it('typed into the prompt, is asked to be replaced (after a reload too), and a read token then connects', async () => {
    const page = await suite.openAt(`${server.url}/`, { width: 1100, height: 650 });
    await prompt(page).waitFor();
    await typeToken(page, INGEST.split(':')[0] as string);
    await promptSays(page, 'lacks the read scope', 'the prompt asking for a read token');
    expect(await page.locator('livelog-console .status .state').textContent()).toContain('LIVELOG_ERR_AUTH_FORBIDDEN');

    // The tab kept the refused token: a reload asks again instead of failing for good.
    await page.reload();
    await promptSays(page, 'lacks the read scope', 'the prompt after a reload');
    await typeToken(page, READER.split(':')[0] as string);
    await waitFor(async () => (await appMessages(page)).includes('for readers'), { what: 'the lines with a read token' });
    expect(await prompt(page).count()).toBe(0);
  });

  it('a token for other streams, on a URL naming a stream it may not read, is offered the prompt', async () => {
    const page = await suite.openAt(`${server.url}/?stream=deploy-1&token=${BUILDS.split(':')[0]}`, { width: 1100, height: 650 });
    await promptSays(page, 'may not read the stream deploy-1', 'the prompt naming the stream');
  });
});
