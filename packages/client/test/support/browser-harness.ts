// Bundled into the test page: the client from source plus the recorder, driven by the Chromium
// driver through page.evaluate.
import { type LogStream, openStream } from '../../src/index.js';
import type { DriverOpenOptions } from './client-driver.js';
import { type RecorderSnapshot, StreamRecorder } from './stream-recorder.js';

interface Entry {
  stream: LogStream;
  recorder: StreamRecorder;
}

const streams = new Map<string, Entry>();

const harness = {
  open(id: string, options: DriverOpenOptions): void {
    const stream = openStream(options);
    streams.set(id, { stream, recorder: new StreamRecorder(stream, options) });
  },
  snapshot(id: string, withSeqs: boolean): RecorderSnapshot {
    const entry = streams.get(id);
    if (entry === undefined) throw new Error(`no stream ${id}`);
    return entry.recorder.snapshot(withSeqs);
  },
  reconnectNow(id: string, times: number): void {
    const stream = streams.get(id)?.stream;
    for (let i = 0; i < times; i++) stream?.reconnectNow();
  },
  close(id: string): void {
    streams.get(id)?.stream.close();
  },
  closeAll(): void {
    for (const { stream } of streams.values()) stream.close();
    streams.clear();
  },
};

(globalThis as unknown as { livelogHarness: typeof harness }).livelogHarness = harness;
export type BrowserHarness = typeof harness;
