import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Broker, SubscribeOptions } from '@livelog/core';
import { NodeSseSink } from './node-sse-sink.js';

/**
 * Answers `request` with an SSE stream from `broker`: headers, `hello`, then entries from the
 * requested position for as long as the connection lives. Resolves once the stream has started;
 * `onClosed` runs once the connection is gone.
 */
export async function serveStream(
  broker: Broker,
  request: IncomingMessage,
  response: ServerResponse,
  options: SubscribeOptions,
  headers: OutgoingHttpHeaders = {},
  onClosed?: () => void,
): Promise<void> {
  const sink = new NodeSseSink(request, response);
  // Called once whichever way the connection ends: the reader's slot and broker lease go back.
  if (onClosed !== undefined) sink.onceClose(onClosed);
  sink.open(headers);
  try {
    await broker.subscribe(sink, options);
  } catch (error) {
    // Headers are out, so no error status can follow: drop the connection and let the reader retry.
    sink.destroy();
    throw error;
  }
}
