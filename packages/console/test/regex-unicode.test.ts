import { postLogs, waitFor } from '@livelog/test-utils';
import { expect, it } from 'vitest';
import { consoleCall, useBrowser } from './support/browser.js';
import { spawnFresh } from './support/spawned.js';

const suite = useBrowser();

// Regression: regexes compiled without the `u` flag: `\p{L}` matched the letters `p{L}`, and `.`
// highlighted half an emoji (a lone surrogate, drawn as a replacement box).
it('a regex search runs with the u flag: \\p{L} filters letters, `.` highlights a whole emoji', async () => {
  const server = await spawnFresh(suite.defer);
  const lines = ['Größe 42', '12345', 'mood 😀!'].map((msg) => JSON.stringify({ level: 'info', msg }));
  await postLogs(server.url, `${lines.join('\n')}\n`);
  const { page, watch } = await suite.openPage({ width: 900, height: 600 });
  suite.defer(async () => {
    expect(watch.errors).toEqual([]);
    await page.context().close();
  });
  await page.goto(`${server.url}/?tail=10`);
  await page.locator('livelog-console .state[data-state="live"]').waitFor();
  await page.locator('livelog-console .row[data-seq="3"]').waitFor();
  const marks = () => page.locator('livelog-console .row mark').allTextContents();
  await consoleCall(page, `(c.setFilter({ text: '^\\\\p{L}+', regex: true }), 0)`);
  await waitFor(async () => (await page.locator('livelog-console .row[data-seq]').count()) === 2, {
    what: 'the lines starting with a letter',
  });
  expect(await marks()).toEqual(['Größe', 'mood']);
  await consoleCall(page, `(c.setFilter({ text: '.!', regex: true }), 0)`);
  await waitFor(async () => (await marks()).length > 0, { what: 'the emoji highlighted' });
  expect(await marks()).toEqual(['😀!']);
});
