import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM_ARGS, chromiumPath, tempDir } from '@livelog/test-utils';
import { build } from 'esbuild';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import type { BrowserHarness } from './browser-harness.js';
import type { ClientDriver, DriverOpenOptions, DriverStream } from './client-driver.js';
import type { RecorderSnapshot } from './stream-recorder.js';

/** Path prefix the test page and bundle are served under, on whatever origin a test needs. */
export const HARNESS_PATH = '/__livelog_test__/';

declare global {
  var livelogHarness: BrowserHarness;
}

/** The client bundled from source with the recorder, as one classic script. */
export async function bundleHarness(): Promise<string> {
  const here = dirname(fileURLToPath(import.meta.url));
  const result = await build({
    entryPoints: [join(here, 'browser-harness.ts')],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'chrome120',
    write: false,
    logLevel: 'silent',
  });
  const file = result.outputFiles[0];
  if (file === undefined) throw new Error('esbuild produced nothing');
  return file.text;
}

/** A Chromium driver and the browser context behind it. */
export interface ChromiumDriver extends ClientDriver {
  readonly context: BrowserContext;
  /** A page of the test harness on `origin` (a new tab each call). */
  newPage(origin: string): Promise<Page>;
}

/**
 * Debian's Chromium driven by playwright-core, with a fresh profile. Every page is served by
 * Playwright itself at `<origin>/__livelog_test__/`, so the page shares the origin of the server
 * (or proxy) under test and its requests are same-origin, as a console served by livelog would be.
 */
export async function chromiumDriver(): Promise<ChromiumDriver> {
  const script = await bundleHarness();
  const profile = await tempDir('livelog-chromium-');
  const context = await chromium.launchPersistentContext(profile.path, {
    executablePath: chromiumPath(),
    headless: true,
    args: [...CHROMIUM_ARGS],
  });
  await context.route(`**${HARNESS_PATH}**`, async (route) => {
    const url = new URL(route.request().url());
    if (url.pathname.endsWith('.js')) {
      await route.fulfill({ status: 200, contentType: 'text/javascript', body: script });
    } else {
      await route.fulfill({
        status: 200,
        contentType: 'text/html; charset=utf-8',
        body: `<!doctype html><html><head><meta charset="utf-8"><script src="${HARNESS_PATH}harness.js"></script></head><body>livelog test</body></html>`,
      });
    }
  });
  const pages = new Map<string, Page>();
  const open = new Map<string, Page>();
  let next = 0;

  const newPage = async (origin: string): Promise<Page> => {
    const page = await context.newPage();
    page.on('pageerror', (error) => process.stderr.write(`[chromium] ${error.message}\n`));
    await page.goto(`${origin}${HARNESS_PATH}index.html`);
    await page.waitForFunction(() => typeof globalThis.livelogHarness === 'object');
    return page;
  };
  const pageFor = async (origin: string): Promise<Page> => {
    let page = pages.get(origin);
    if (page === undefined || page.isClosed()) {
      page = await newPage(origin);
      pages.set(origin, page);
    }
    return page;
  };

  return {
    name: 'chromium',
    dropsBytesOnError: true,
    context,
    newPage,
    async open(options: DriverOpenOptions): Promise<DriverStream> {
      const page = await pageFor(new URL(options.url).origin);
      const id = `s${++next}`;
      await page.evaluate(([streamId, streamOptions]) => globalThis.livelogHarness.open(streamId, streamOptions), [id, options] as const);
      open.set(id, page);
      return {
        snapshot: (withSeqs = true): Promise<RecorderSnapshot> =>
          page.evaluate(([streamId, all]) => globalThis.livelogHarness.snapshot(streamId, all), [id, withSeqs] as const),
        reconnectNow: async (times = 1) => {
          await page.evaluate(([streamId, n]) => globalThis.livelogHarness.reconnectNow(streamId, n), [id, times] as const);
        },
        close: async () => {
          await page.evaluate((streamId) => globalThis.livelogHarness.close(streamId), id);
          open.delete(id);
        },
      };
    },
    async closeAll() {
      for (const page of pages.values()) {
        if (page.isClosed()) continue;
        await page.evaluate(() => globalThis.livelogHarness.closeAll()).catch(() => undefined);
        await page.close();
      }
      pages.clear();
      open.clear();
    },
    async dispose() {
      await context.close();
      await profile.remove();
    },
  };
}
