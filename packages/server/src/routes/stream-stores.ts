import { type LivelogEngine, LivelogError, type LogStore } from '@livelog/core';
import { DEFAULT_STREAM } from '@livelog/protocol';

/**
 * The stream a read route serves: an existing one, else 404 LIVELOG_ERR_STREAM_NOT_FOUND. `default`
 * always exists for readers, as it did before there were named streams: an empty server answers
 * `/api/logs` with an empty page, not a 404.
 */
export async function readableStream(engine: LivelogEngine, name: string): Promise<LogStore> {
  const store = await engine.database.stream(name);
  if (store !== undefined) return store;
  // Made at start, `default` can still vanish under the server (a Redis restarted empty, FLUSHALL):
  // it is made again, as at start, so that its readers are not told it does not exist.
  if (name === DEFAULT_STREAM) {
    await engine.database.setStream(DEFAULT_STREAM, {});
    return engine.database.openStream(name);
  }
  throw new LivelogError('LIVELOG_ERR_STREAM_NOT_FOUND', `no stream is named ${JSON.stringify(name)}`);
}

/** The stream a write route appends to: created by its first write, with no set-up step. */
export function writableStream(engine: LivelogEngine, name: string): Promise<LogStore> {
  return engine.database.openStream(name);
}

/** The answer to a write or end after the end. */
export function streamEndedError(name: string): LivelogError {
  return new LivelogError('LIVELOG_ERR_STREAM_ENDED', `the stream ${JSON.stringify(name)} was ended and takes no more entries`);
}
