import type { LogStore } from '@livelog/core';
import { createServer, type LivelogServer, resolveServerConfig, type ServerConfigInput } from '@livelog/server';
import { tempDir } from './temp-dir.js';

/** A server running in the test's process on a free port, with its own temporary data directory. */
export interface TestServer {
  url: string;
  server: LivelogServer;
  store: LogStore;
  dataDir: string;
  /** Closes the server and removes its data. */
  close(): Promise<void>;
}

/** Starts a livelog server in process. Config keys as `livelog serve` takes them; logs are silenced. */
export async function startServer(input: ServerConfigInput = {}, options: { store?: LogStore } = {}): Promise<TestServer> {
  const dir = await tempDir('livelog-server-');
  const config = resolveServerConfig({ port: 0, logLevel: 'silent', data: dir.path, ...input });
  const server = await createServer(config, options.store ? { store: options.store } : {});
  const url = await server.listen();
  return {
    url,
    server,
    store: server.engine.store,
    dataDir: dir.path,
    async close() {
      await server.close();
      await dir.remove();
    },
  };
}
