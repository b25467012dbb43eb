import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM_ARGS, chromiumPath } from '@livelog/test-utils';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';

const PACKAGE = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Screenshots of the main states, kept as test artifacts (git-ignored). */
export const ARTIFACTS = join(PACKAGE, '.artifacts');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const name of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, name.name);
    newest = Math.max(newest, name.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * The tests drive the dashboard the server really serves, so it must be built and current. Building
 * here would race between test files running in parallel; a clear message is cheaper.
 */
export function assertConsoleBuilt(): void {
  const index = join(PACKAGE, 'dist', 'app', 'index.html');
  if (!existsSync(index)) throw new Error('the console is not built: run `npm run build` (or `npm run build -w @livelog/console`) first');
  if (newestMtime(join(PACKAGE, 'src')) > statSync(index).mtimeMs) {
    throw new Error('the console build is older than its sources: run `npm run build -w @livelog/console`');
  }
}

/** Debian's Chromium, headless, with a fresh temporary profile. One per test file. */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    args: [...CHROMIUM_ARGS],
  });
}

/** What a page did that a test must see: uncaught errors and console messages. */
export interface PageWatch {
  errors: string[];
  messages: string[];
}

/** A new page that records errors and console output, and collects the console's events on `window`. */
/** Viewport and emulation of a page. */
export interface PageOptions {
  width?: number;
  height?: number;
  colorScheme?: 'light' | 'dark';
  timezoneId?: string;
}

/**
 * The browser of one test file, as vitest hooks: launched before the file's tests, closed after them,
 * and `defer`red cleanups run (newest first) after each test.
 */
export function useBrowser(): {
  openPage(options?: PageOptions): Promise<{ page: Page; watch: PageWatch }>;
  /** A page at `url`; after the test, it must have logged no error, and it is closed. */
  openAt(url: string, options?: PageOptions): Promise<Page>;
  defer(cleanup: () => Promise<unknown>): void;
} {
  let browser: Browser | undefined;
  const cleanups: (() => Promise<unknown>)[] = [];
  beforeAll(async () => {
    assertConsoleBuilt();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  const open = (options?: PageOptions) => {
    if (browser === undefined) throw new Error('the browser starts in beforeAll');
    return openPage(browser, options);
  };
  return {
    openPage: open,
    openAt: async (url, options) => {
      const { page, watch } = await open(options);
      cleanups.push(async () => {
        expect(watch.errors).toEqual([]);
        await page.context().close();
      });
      await page.goto(url);
      return page;
    },
    defer: (cleanup) => {
      cleanups.push(cleanup);
    },
  };
}

/** The messages of the entries the dashboard's console holds, in order. */
export function appMessages(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const app = document.querySelector('livelog-app') as unknown as { console: { entries: { msg: string }[] } | null };
    return app.console?.entries.map((entry) => entry.msg) ?? [];
  });
}

export async function openPage(browser: Browser, options: PageOptions = {}): Promise<{ page: Page; watch: PageWatch }> {
  const context = await browser.newContext({
    viewport: { width: options.width ?? 1200, height: options.height ?? 720 },
    colorScheme: options.colorScheme ?? 'light',
    acceptDownloads: true,
    ...(options.timezoneId === undefined ? {} : { timezoneId: options.timezoneId }),
  });
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  const page = await context.newPage();
  const watch: PageWatch = { errors: [], messages: [] };
  page.on('pageerror', (error) => watch.errors.push(error.message));
  page.on('console', (message) => watch.messages.push(`${message.type()}: ${message.text()}`));
  await page.addInitScript(() => {
    const log: unknown[] = [];
    (window as unknown as { __events: unknown[] }).__events = log;
    for (const type of ['livelog-status', 'livelog-recovered', 'livelog-gap', 'livelog-select']) {
      document.addEventListener(type, (event) => log.push({ type, detail: (event as CustomEvent).detail }));
    }
  });
  return { page, watch };
}

/** Loaded seqs of the dashboard's console, in order. */
export function loadedSeqs(page: Page): Promise<number[]> {
  return page.evaluate(() => {
    const app = document.querySelector('livelog-app') as unknown as { console: { entries: { seq: number }[] } | null } | null;
    return app?.console?.entries.map((entry) => entry.seq) ?? [];
  });
}

/** The events the page's consoles dispatched so far. */
export function pageEvents(page: Page): Promise<{ type: string; detail: Record<string, unknown> }[]> {
  return page.evaluate(() => (window as unknown as { __events: { type: string; detail: Record<string, unknown> }[] }).__events);
}

/** Saves a screenshot under `.artifacts/`. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
}

/** Evaluates `body` with `c` bound to the dashboard's `<livelog-console>`. */
export function consoleCall<T>(page: Page, body: string): Promise<T> {
  return page.evaluate(`(() => { const c = document.querySelector('livelog-app').console; return ${body}; })()`) as Promise<T>;
}

/** One painted state of the status line: its state text and the "recovered" note, if shown. */
export interface StatusFrame {
  at: number;
  state: string;
  recovered: string;
}

/**
 * Records what the status line shows, once per animation frame (so exactly what a person could have
 * seen), from now until the page unloads. Read it back with `statusFrames`.
 */
export async function recordStatus(page: Page): Promise<void> {
  await page.evaluate(() => {
    const log: StatusFrame[] = [];
    (window as unknown as { __statusFrames: StatusFrame[] }).__statusFrames = log;
    let last = '';
    const frame = (): void => {
      const root = document.querySelector('livelog-app')?.shadowRoot?.querySelector('livelog-console')?.shadowRoot;
      const state = root?.querySelector('.state')?.textContent?.trim() ?? '';
      const recovered = root?.querySelector('.recovered')?.textContent?.trim() ?? '';
      if (`${state}|${recovered}` !== last) {
        last = `${state}|${recovered}`;
        log.push({ at: performance.now(), state, recovered });
      }
      requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  });
}

/** The status frames recorded since `recordStatus`. */
export function statusFrames(page: Page): Promise<StatusFrame[]> {
  return page.evaluate(() => (window as unknown as { __statusFrames: StatusFrame[] }).__statusFrames);
}
