import { isLivelogError, LivelogError, type StoreProvider } from '@livelog/core';

/** Where store warnings go: stderr until the server's logger exists. */
export type StoreWarn = (details: Record<string, unknown>, message: string) => void;

/** The packages Redis support needs; neither is installed with livelog itself. */
const REDIS_PACKAGES = ['@livelog/redis', '@redis/client'];

/**
 * The store URLs `livelog serve` can use beyond sqlite and memory: `redis://` and `rediss://`, and
 * `redis+cluster://` / `rediss+cluster://` for a Redis Cluster. Redis
 * support is an optional package, imported only when such a URL is given; when it is not installed
 * the store fails with a message saying what to install.
 */
export function serveStoreProviders(warn: () => StoreWarn): StoreProvider[] {
  return [
    {
      // The schemes of @livelog/redis (REDIS_SCHEMES), spelled out: it is imported only when used.
      schemes: ['redis:', 'rediss:', 'redis+cluster:', 'rediss+cluster:'],
      async create(url) {
        const { redisStoreProvider } = await importRedisSupport();
        let lastWarned = 0;
        const provider = redisStoreProvider({
          onError: (error) => {
            // node-redis reports every failed reconnect attempt; one line per outage and then one
            // every 30 s is enough to see it in the log.
            const now = Date.now();
            if (now - lastWarned < 30_000) return;
            lastWarned = now;
            warn()({ err: error, store: 'redis' }, 'Redis connection error; ingest answers 503 until it is back');
          },
        });
        return provider.create(url);
      },
      async check(url) {
        // Without Redis support installed the URL cannot be read here; `create` then says what to
        // install, a failure of the install (exit 1), not of the URL.
        const redis = await importRedisSupport().catch(() => undefined);
        redis?.parseRedisStoreUrl(url);
      },
    },
  ];
}

async function importRedisSupport(): Promise<typeof import('@livelog/redis')> {
  try {
    return await import('@livelog/redis');
  } catch (error) {
    const missing = missingPackage(error);
    if (missing === undefined) throw error;
    throw new LivelogError(
      'LIVELOG_ERR_CONFIG_INVALID',
      `Redis stores need the optional package @livelog/redis, and ${missing} cannot be found. ` +
        'Install it beside livelog: npm install @livelog/redis (npm install -g @livelog/redis for a global livelog)',
      { cause: error },
    );
  }
}

/** Which Redis package an import failure says is missing, if that is what it says. */
function missingPackage(error: unknown): string | undefined {
  if (isLivelogError(error) || !(error instanceof Error)) return undefined;
  if ((error as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') return undefined;
  return REDIS_PACKAGES.find((name) => error.message.includes(`'${name}'`));
}
