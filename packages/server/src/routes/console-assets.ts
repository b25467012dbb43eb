import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { brotliCompress, gzip, constants as zlib } from 'node:zlib';

/** A content coding the console's files are offered in besides identity. */
export type ContentCoding = 'br' | 'gzip';

/** One built file of the console, with what a production server needs to hand it out. */
export interface ConsoleAsset {
  readonly body: Buffer;
  readonly contentType: string;
  /** Strong validator of `body` (identity coding), quoted. */
  readonly etag: string;
  /** True for names Vite made from the content hash: such a name never changes meaning. */
  readonly hashed: boolean;
  /** `body` in `coding`, compressed once and kept; undefined when compressing does not pay. */
  encoded(coding: ContentCoding): Promise<Buffer | undefined>;
}

/** The built web console, as files the server hands out. */
export interface ConsoleAssets {
  /** The dashboard directory (`index.html`, `assets/`). */
  readonly dir: string;
  /** A file of the dashboard by its path relative to `dir`; undefined when there is none. */
  read(path: string): Promise<ConsoleAsset | undefined>;
  /** The standalone `<livelog-console>` module, when built. */
  bundle(): Promise<ConsoleAsset | undefined>;
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

/** Vite's `[name]-[hash].[ext]`: a hash of at least 8 URL-safe characters before the extension. */
const HASHED = /-[A-Za-z0-9_-]{8,}\.[a-z0-9]+$/;

/** Images and fonts here are compressed formats already; gzip or brotli would only cost CPU. */
const COMPRESSIBLE = /^(text\/|application\/json|image\/svg)/;

/** Below this a compressed body saves less than the header costs. */
const MIN_COMPRESS_BYTES = 1024;

const compressors: Record<ContentCoding, (body: Buffer) => Promise<Buffer>> = {
  // Each file is compressed once per process and kept, so the slowest, smallest settings pay off.
  br: (body) =>
    promisify(brotliCompress)(body, {
      params: {
        [zlib.BROTLI_PARAM_QUALITY]: zlib.BROTLI_MAX_QUALITY,
        [zlib.BROTLI_PARAM_SIZE_HINT]: body.length,
      },
    }),
  gzip: (body) => promisify(gzip)(body, { level: zlib.Z_BEST_COMPRESSION }),
};

const contentTypeOf = (name: string): string => TYPES[name.slice(name.lastIndexOf('.'))] ?? 'application/octet-stream';

function toAsset(name: string, body: Buffer): ConsoleAsset {
  const contentType = contentTypeOf(name);
  const worth = COMPRESSIBLE.test(contentType) && body.length >= MIN_COMPRESS_BYTES;
  const encodings = new Map<ContentCoding, Promise<Buffer | undefined>>();
  return {
    body,
    contentType,
    etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
    hashed: HASHED.test(name),
    encoded(coding) {
      if (!worth) return Promise.resolve(undefined);
      let pending = encodings.get(coding);
      if (pending === undefined) {
        pending = compressors[coding](body).then((packed) => (packed.length < body.length ? packed : undefined));
        encodings.set(coding, pending);
      }
      return pending;
    },
  };
}

/**
 * Where the dashboard is: first the copy this package ships in `console/` (put there by
 * `scripts/copy-console-assets.mjs` when the console is built, so an install of the server needs none
 * of the console's source dependencies), else an installed or workspace @livelog/console, through its
 * `exports`. Undefined when neither exists.
 */
function findDashboardDir(): string | undefined {
  // From dist/routes/ and from src/routes/ alike, two levels up is the package root.
  const own = fileURLToPath(new URL('../../console/app/', import.meta.url));
  if (existsSync(join(own, 'index.html'))) return own;
  try {
    return dirname(createRequire(import.meta.url).resolve('@livelog/console/app/index.html'));
  } catch {
    return undefined;
  }
}

/**
 * Finds the built dashboard (`npm run build`). Undefined when it is not there: the server then shows
 * its placeholder page.
 */
export function findConsoleAssets(dir: string | undefined = findDashboardDir()): ConsoleAssets | undefined {
  if (dir === undefined) return undefined;
  const cache = new Map<string, Promise<ConsoleAsset | undefined>>();
  const load = (file: string): Promise<ConsoleAsset | undefined> => {
    let pending = cache.get(file);
    if (pending === undefined) {
      // Built files never change while the server runs; a missing one is not cached, a rebuild may add it.
      pending = readFile(file).then(
        (body) => toAsset(file, body),
        () => {
          cache.delete(file);
          return undefined;
        },
      );
      cache.set(file, pending);
    }
    return pending;
  };
  return {
    dir,
    read: (path) => (SAFE_PATH.test(path) ? load(join(dir, path)) : Promise.resolve(undefined)),
    bundle: () => load(join(dir, '..', 'livelog-console.js')),
  };
}
