import { type SpawnedServer, spawnServer, tempDir } from '@livelog/test-utils';
import type { Page } from 'playwright-core';

/** Registers a cleanup to run after the current test (`useBrowser().defer`). */
export type Defer = (cleanup: () => Promise<unknown>) => void;

/** A real `livelog serve` process on a fresh data folder, killed and removed after the test. */
export async function spawnFresh(defer: Defer, args: string[] = []): Promise<SpawnedServer> {
  const data = await tempDir('livelog-console-ux-');
  defer(() => data.remove());
  const server = await spawnServer({ dataDir: data.path, logLevel: 'warn', args });
  defer(() => server.kill());
  return server;
}

/** The dashboard console's shadow-root query, for things locators do not reach simply. */
export function inConsole<T>(page: Page, body: string): Promise<T> {
  return page.evaluate(
    `(() => { const c = document.querySelector('livelog-app').console; const root = c.shadowRoot; return ${body}; })()`,
  ) as Promise<T>;
}
