import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** The built web console, as files the server hands out. */
export interface ConsoleAssets {
  /** The dashboard directory (`index.html`, `assets/`). */
  readonly dir: string;
  /** A file of the dashboard by its path relative to `dir`; undefined when there is none. */
  read(path: string): Promise<Buffer | undefined>;
  /** The standalone `<livelog-console>` module, when built. */
  bundle(): Promise<Buffer | undefined>;
  contentType(name: string): string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** Only flat names of built files: no directory parts, so no request can reach outside the build. */
const SAFE_PATH = /^(assets\/)?[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * Finds the dashboard built by @livelog/console (`npm run build`), through the package's `exports`
 * so it works from a workspace and from node_modules alike. Undefined when the package is not
 * installed or not built: the server then shows its placeholder page.
 */
export function findConsoleAssets(): ConsoleAssets | undefined {
  let index: string;
  try {
    index = createRequire(import.meta.url).resolve('@livelog/console/app/index.html');
  } catch {
    return undefined;
  }
  const dir = dirname(index);
  const cache = new Map<string, Promise<Buffer | undefined>>();
  const load = (file: string): Promise<Buffer | undefined> => {
    let pending = cache.get(file);
    if (pending === undefined) {
      // Built files never change while the server runs; a missing one is not cached, a rebuild may add it.
      pending = readFile(file).catch(() => {
        cache.delete(file);
        return undefined;
      });
      cache.set(file, pending);
    }
    return pending;
  };
  return {
    dir,
    read: (path) => (SAFE_PATH.test(path) ? load(join(dir, path)) : Promise.resolve(undefined)),
    bundle: () => load(join(dir, '..', 'livelog-console.js')),
    contentType: (name) => TYPES[name.slice(name.lastIndexOf('.'))] ?? 'application/octet-stream',
  };
}
