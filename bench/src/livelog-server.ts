import type { BrokerStats } from '@livelog/core';
import { createServer, resolveServerConfig } from '@livelog/server';
import { type MemorySample, sampleMemory } from './memory.js';
import { announceReady, serveRpc } from './rpc.js';

/**
 * The livelog server under test, in its own process: exactly what `livelog serve --data DIR
 * --log-level warn` builds (`createServer(resolveServerConfig(...))`), plus an IPC channel so the
 * bench can take memory figures after a full GC and stop it cleanly (which a `--cpu-prof` profile
 * needs to be written).
 */

export interface LivelogApi {
  [method: string]: (arg: never) => unknown;
  mem(arg: undefined): MemorySample;
  stats(arg: undefined): BrokerStats;
  stop(arg: undefined): void;
}

const data = process.env.LIVELOG_BENCH_DATA;
if (data === undefined) throw new Error('LIVELOG_BENCH_DATA must name the data directory');
const server = await createServer(resolveServerConfig({ port: 0, data, logLevel: 'warn' }));
const url = await server.listen();

const api: LivelogApi = {
  mem() {
    return sampleMemory();
  },
  stats() {
    return server.engine.broker.stats;
  },
  async stop() {
    await server.close();
    setImmediate(() => process.exit(0));
  },
};

serveRpc(api);
announceReady({ url, port: Number(new URL(url).port), stream: server.engine.store.streamId });
