import { isMainThread } from 'node:worker_threads';
import { sampleMemory } from './memory.js';
import { serveRpc } from './rpc.js';

/**
 * Loaded into a `livelog serve` process with `--import` (see BenchContext.startLivelog): answers the
 * bench's memory questions over the IPC channel, after full GCs, from inside the server it measures.
 * The server itself is exactly what users run; only this probe is added.
 */
export interface ServerProbeApi {
  [method: string]: (arg: never) => unknown;
  mem(arg: undefined): ReturnType<typeof sampleMemory>;
}

const api: ServerProbeApi = { mem: () => sampleMemory() };
// Node gives --import to worker threads too (SQLite's writer thread): only the main thread answers.
if (isMainThread) serveRpc(api);
