import { type ClientRequest, request as httpRequest, type IncomingMessage } from 'node:http';
import { type SseMessage, SseParser } from './sse-parser.js';

/** Callbacks of one SSE connection. */
export interface SseConnectionHandlers {
  onOpen?(response: IncomingMessage): void;
  onEvent?(message: SseMessage): void;
  onIdOnly?(lastEventId: string): void;
  onComment?(text: string): void;
  /** The connection ended, cleanly or not; `error` is set for failures. */
  onEnd?(error?: Error): void;
}

/** One raw SSE connection over node:http, for tests that need to see bytes and control the socket. */
export interface SseConnection {
  readonly parser: SseParser;
  readonly request: ClientRequest;
  /** Bytes received, for tests that assert framing. */
  raw(): string;
  /** Stops reading from the socket without closing it (a slow reader). */
  pause(): void;
  resume(): void;
  /** Drops the connection. */
  close(): void;
}

/** Opens an SSE connection to `url` with `headers`. Non-200 answers end it with an error. */
export function openSse(
  url: string,
  headers: Record<string, string>,
  handlers: SseConnectionHandlers,
  options: { keepRaw?: boolean; lastEventId?: string } = {},
): SseConnection {
  const parser = new SseParser(
    {
      onEvent: (message) => handlers.onEvent?.(message),
      onIdOnly: (id) => handlers.onIdOnly?.(id),
      onComment: (text) => handlers.onComment?.(text),
    },
    options.lastEventId,
  );
  let ended = false;
  const end = (error?: Error): void => {
    if (ended) return;
    ended = true;
    handlers.onEnd?.(error);
  };
  let raw = '';
  let response: IncomingMessage | undefined;
  const request = httpRequest(url, { headers: { accept: 'text/event-stream', ...headers }, agent: false }, (res) => {
    response = res;
    if (res.statusCode !== 200) {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => end(new Error(`HTTP ${res.statusCode}: ${body}`)));
      res.on('error', (error) => end(error));
      return;
    }
    handlers.onOpen?.(res);
    res.on('data', (chunk: Buffer) => {
      if (options.keepRaw) raw += chunk.toString('utf8');
      parser.feed(chunk);
    });
    res.on('end', () => end());
    res.on('error', (error) => end(error));
    res.on('close', () => end());
  });
  request.on('error', (error) => end(error));
  request.end();
  return {
    parser,
    request,
    raw: () => raw,
    pause: () => response?.pause(),
    resume: () => response?.resume(),
    close: () => {
      request.destroy();
      response?.destroy();
      end();
    },
  };
}
