import { fetchHistory, fetchSources, type LogStream, openStream, type StreamFilter, type StreamStatus } from '@livelog/client';
import type { ServerFilter } from './line-filter.js';
import type {
  ConnectionStatus,
  HistoryPage,
  HistoryPosition,
  LogSource,
  SourceOptions,
  SourceSummary,
  StreamHandle,
  StreamListener,
  StreamStart,
} from './log-source.js';

function streamFilter(filter: ServerFilter): StreamFilter {
  const out: StreamFilter = {};
  if (filter.level !== undefined) out.level = filter.level;
  if (filter.sources !== undefined && filter.sources.length > 0) out.source = filter.sources;
  if (filter.q !== undefined) out.q = filter.q;
  return out;
}

/** The client's states in the console's words: after the first `open`, any new attempt is a reconnect. */
function connectionStatus(status: StreamStatus, everOpened: boolean): ConnectionStatus {
  switch (status.state) {
    case 'open':
      return { state: 'live', attempt: 0 };
    case 'connecting':
      return everOpened || status.attempt > 0
        ? { state: 'reconnecting', attempt: Math.max(1, status.attempt) }
        : { state: 'connecting', attempt: 0 };
    case 'waiting':
      return {
        state: 'reconnecting',
        attempt: status.attempt + 1,
        ...(status.nextRetryMs === undefined ? {} : { nextRetryMs: status.nextRetryMs }),
        ...(status.error ? { reason: status.error.message } : {}),
      };
    case 'closed':
      return status.error
        ? { state: 'failed', attempt: status.attempt, reason: status.error.message }
        : { state: 'closed', attempt: status.attempt };
  }
}

/**
 * The console's LogSource over @livelog/client: `openStream` for the live tail and exact resume,
 * `fetchHistory` for pages, `fetchSources` for the source list. The client's own `persist` option is
 * not used: it makes every stream start at the stored cursor, whereas the console opens streams at a
 * tail, a permalink or a filter change too. The console keeps its cursor itself, from `cursor` events.
 */
export function createClientLogSource(options: SourceOptions): LogSource {
  const server = { url: options.url, ...(options.token ? { token: options.token } : {}) };
  return {
    open(start: StreamStart, filter: ServerFilter, listener: StreamListener): StreamHandle {
      const stream: LogStream = openStream({
        ...server,
        filter: streamFilter(filter),
        start: 'lastEventId' in start ? { lastEventId: start.lastEventId } : 'tail' in start ? { tail: start.tail } : {},
      });
      let everOpened = false;
      stream.on('entries', (batch) => listener.entries(batch));
      stream.on('hello', (hello) => {
        everOpened = true;
        listener.hello(hello);
      });
      stream.on('gap', (gap) => listener.gap(gap));
      stream.on('reset', (reset) => listener.reset(reset));
      stream.on('lag', (lag) => listener.lag(lag.behind));
      stream.on('status', (status) => listener.status(connectionStatus(status, everOpened && status.state !== 'open')));
      stream.on('cursor', (lastEventId) => listener.cursor(lastEventId));
      return {
        lastEventId: () => (stream.lastEventId === '' ? undefined : stream.lastEventId),
        reconnectNow: () => stream.reconnectNow(),
        close: () => stream.close(),
      };
    },
    history(position: HistoryPosition, filter: ServerFilter, limit: number, signal?: AbortSignal): Promise<HistoryPage> {
      return fetchHistory({
        ...server,
        ...('before' in position ? { before: position.before } : {}),
        ...('after' in position ? { after: position.after } : {}),
        ...('fromStart' in position ? { fromStart: true } : {}),
        limit,
        filter: streamFilter(filter),
        ...(signal ? { signal } : {}),
      });
    },
    sources(signal?: AbortSignal): Promise<SourceSummary[]> {
      return fetchSources({ ...server, ...(signal ? { signal } : {}) });
    },
  };
}
