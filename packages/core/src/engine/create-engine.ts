import { Broker, type BrokerOptions } from '../broker/broker.js';
import { RetentionPruner } from '../retention/retention-pruner.js';
import { isIdentityChanging } from '../store/identity-changing-store.js';
import type { LogStore, RetentionPolicy } from '../store/log-store.js';

/**
 * Where the engine reports what happens in the background. The argument order is pino's, so a pino
 * or Fastify logger can be passed as is (`log: app.log`). Every method is optional.
 */
export interface EngineLog {
  debug?(details: Record<string, unknown>, message: string): void;
  warn?(details: Record<string, unknown>, message: string): void;
  error?(details: Record<string, unknown>, message: string): void;
}

/** How to build an engine. */
export interface EngineOptions {
  /** A store, constructed but not yet opened: the engine opens it, and closes it on `stop()`. */
  store: LogStore;
  /** Retention limits; none (the default) keeps everything. */
  retention?: RetentionPolicy;
  broker?: BrokerOptions;
  /** Pause between two attempts to restart the broker after an identity change, in ms. Defaults to 1,000. */
  restartRetryMs?: number;
  log?: EngineLog;
}

/** A store with its broker and retention pruner: everything behind the HTTP API, and no HTTP. */
export interface LivelogEngine {
  readonly store: LogStore;
  readonly broker: Broker;
  readonly pruner: RetentionPruner;
  /** Ends every stream (readers reconnect elsewhere or later), stops pruning, commits and closes the store. */
  stop(): Promise<void>;
}

/**
 * Opens `store`, starts its broker and its retention pruner. When the store's identity can change
 * (see `IdentityChangingStore`), the engine restarts the broker on each change: every reader's stream
 * ends with a retryable `close`, and readers reconnecting with an id of the old stream get `reset`.
 * @example
 * const engine = await createEngine({ store: new SqliteStore({ dir: './livelog-data' }), retention: { maxAgeMs: 7 * 86_400_000 } });
 * await engine.store.append([{ time: Date.now(), level: 'info', source: 'app', msg: 'hello' }]);
 * await engine.stop();
 */
export async function createEngine(options: EngineOptions): Promise<LivelogEngine> {
  const { store, log } = options;
  await store.open();
  const broker = new Broker(store, options.broker);
  try {
    await broker.start();
  } catch (error) {
    await store.close().catch(() => undefined);
    throw error;
  }
  const pruner = new RetentionPruner(store, options.retention ?? {}, {
    onPruned: async (removed) => {
      log?.debug?.({ removed }, 'retention pruned entries');
      broker.retainedFrom((await store.bounds()).first);
    },
    onError: (error) => log?.error?.({ err: error }, 'retention pass failed'),
  });
  if (pruner.active) pruner.start();

  let stopped = false;
  let restarting = Promise.resolve();
  const unlisten = isIdentityChanging(store)
    ? store.onIdentityChange((stream) => {
        log?.warn?.({ store: store.kind, stream }, 'the stream was wiped and started again; earlier ids are now foreign');
        // The broker's readers and ring belong to the old stream: restarting it ends every stream
        // (readers reconnect and are told `reset`) and builds the ring for the new one.
        restarting = restarting
          .then(restartBroker)
          .catch((error: unknown) => log?.error?.({ err: error }, 'restarting the stream broker failed'));
      })
    : undefined;

  async function restartBroker(): Promise<void> {
    if (stopped) return;
    await broker.stop();
    for (let attempt = 0; !stopped; attempt++) {
      try {
        await broker.start();
        return;
      } catch (error) {
        // start() reads the store's bounds; while the store is unreachable, keep trying.
        if (attempt % 30 === 0) log?.warn?.({ err: error }, 'cannot restart the stream broker yet; retrying');
        await new Promise((resolve) => setTimeout(resolve, options.restartRetryMs ?? 1000));
      }
    }
  }

  let stopping: Promise<void> | undefined;
  return {
    store,
    broker,
    pruner,
    stop() {
      stopping ??= (async () => {
        stopped = true;
        unlisten?.();
        await restarting;
        await broker.stop();
        await pruner.stop();
        await store.close();
      })();
      return stopping;
    },
  };
}
