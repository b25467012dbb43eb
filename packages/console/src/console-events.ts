import type { SourceSummary } from '@livelog/client';
import type { GapEvent, LogEntry } from '@livelog/protocol';
import type { ConnectionStatus } from './state/status-line.js';

/** `livelog-status`: the connection state changed (also sent when a catch-up starts or ends, and when a resume completed). */
export interface LivelogStatusDetail extends ConnectionStatus {
  /** Entries behind the head while catching up; 0 when caught up. */
  lag: number;
  /** `detached` while a window of history (a permalink) is shown. */
  mode: 'live' | 'detached';
  /** Lines delivered by the last completed resume, while it is shown. */
  recovered?: number;
}

/** Details of the events `<livelog-console>` dispatches. All bubble and cross shadow roots. */
export interface LivelogConsoleEventMap {
  'livelog-status': LivelogStatusDetail;
  /** A line was selected (clicked, or reached with `e`/`E`), or the selection was cleared. */
  'livelog-select': { entry: LogEntry | undefined };
  /** The server reported lines removed by retention before this reader got them. */
  'livelog-gap': GapEvent;
  /** A resume after a reconnect delivered every line written meanwhile. */
  'livelog-recovered': { count: number };
  /** The user switched the theme. */
  'livelog-theme': { theme: 'light' | 'dark' | 'auto' };
  /** The query or the time range changed (by the user or an attribute): what a shareable URL holds. */
  'livelog-search': LivelogSearchDetail;
  /**
   * A token was entered in the token prompt and the element connected with it. The token is not in
   * the detail: it is kept in this tab's `sessionStorage` only.
   */
  'livelog-token': Record<string, never>;
}

/** `livelog-search`: the search shown. `query` is empty for none (or for a regex or inverted search, which stay local). */
export interface LivelogSearchDetail {
  query: string;
  since?: string;
  until?: string;
}

/** Counters of `<livelog-console>` (see `getStats()`). */
export interface ConsoleStats {
  /** Lines held. */
  loaded: number;
  /** Lines passing the local filter (plus gap markers). */
  shown: number;
  /** Entries received from the stream since the element connected. */
  received: number;
  /** Entries dropped because their seq repeated or went backwards (should stay 0). */
  rejected: number;
  /** Lines per second written while the element watches (live arrivals, not history), over the last 5 s; 0 while reconnecting. */
  rate: number;
  mode: 'live' | 'detached';
  sources: SourceSummary[];
}

/** Dispatches a typed, bubbling, composed CustomEvent. */
export function dispatchConsoleEvent<K extends keyof LivelogConsoleEventMap>(
  target: EventTarget,
  type: K,
  detail: LivelogConsoleEventMap[K],
): void {
  target.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
}

declare global {
  interface HTMLElementEventMap {
    'livelog-status': CustomEvent<LivelogStatusDetail>;
    'livelog-select': CustomEvent<{ entry: LogEntry | undefined }>;
    'livelog-gap': CustomEvent<GapEvent>;
    'livelog-recovered': CustomEvent<{ count: number }>;
    'livelog-theme': CustomEvent<{ theme: 'light' | 'dark' | 'auto' }>;
    'livelog-search': CustomEvent<LivelogSearchDetail>;
    'livelog-token': CustomEvent<Record<string, never>>;
  }
}
