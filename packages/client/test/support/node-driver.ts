import { type LogStream, openStream } from '@livelog/client';
import type { ClientDriver, DriverOpenOptions, DriverStream } from './client-driver.js';
import { StreamRecorder } from './stream-recorder.js';

/** The client in this Node process. */
export function nodeDriver(): ClientDriver {
  const streams = new Set<LogStream>();
  return {
    name: 'node',
    dropsBytesOnError: false,
    async open(options: DriverOpenOptions): Promise<DriverStream> {
      const stream = openStream(options);
      streams.add(stream);
      const recorder = new StreamRecorder(stream, options);
      return {
        snapshot: async (withSeqs = true) => recorder.snapshot(withSeqs),
        reconnectNow: async (times = 1) => {
          for (let i = 0; i < times; i++) stream.reconnectNow();
        },
        close: async () => stream.close(),
      };
    },
    async closeAll() {
      for (const stream of streams) stream.close();
      streams.clear();
    },
    async dispose() {
      await this.closeAll();
    },
  };
}
