import type { LogEntry } from '@livelog/protocol';
import type { ClientErrorCode } from '../errors.js';
import type { StreamState } from '../stream-status.js';

/** Sharing one connection among the tabs of an origin. */
export interface ShareOptions {
  /**
   * Tabs with the same key share one connection. Defaults to the stream URL with its filters, so
   * only tabs that would read exactly the same stream share.
   */
  key?: string;
}

/** What the leader tab relays to the others over BroadcastChannel (structured-clone safe). */
export type RelayMessage =
  | { kind: 'entries'; entries: readonly LogEntry[]; lastEventId: string }
  | { kind: 'event'; name: 'hello' | 'gap' | 'reset' | 'lag' | 'end'; payload: unknown; lastEventId: string }
  | { kind: 'cursor'; lastEventId: string }
  | { kind: 'status'; state: StreamState; attempt: number; nextRetryMs: number | undefined; lastEventId: string }
  | { kind: 'error'; code: ClientErrorCode; message: string; status: number | undefined };

interface ShareHandlers {
  /** This tab got the lock: open the real connection (from the last relayed cursor). */
  onLeader(): void;
  /** A message from the leader, while this tab follows. */
  onMessage(message: RelayMessage): void;
}

/** True where Web Locks and BroadcastChannel exist (browsers; not Node 20's globals alone). */
export function canShareTabs(): boolean {
  const nav = (globalThis as { navigator?: { locks?: unknown } }).navigator;
  return typeof BroadcastChannel === 'function' && typeof nav?.locks === 'object' && nav.locks !== null;
}

/**
 * Leader election among tabs with a Web Lock, and relaying over a BroadcastChannel. Browsers allow
 * six HTTP/1.1 connections per host; a console open in many tabs would exhaust them, so only the
 * tab holding the lock connects and the others hear its entries. When the leader closes (or its
 * tab does), the browser hands the lock to a waiting tab, which resumes from the last cursor it
 * heard, so the others miss nothing; they drop what they already have by seq.
 */
export class TabShare {
  readonly #channel: BroadcastChannel;
  readonly #lockName: string;
  readonly #handlers: ShareHandlers;
  readonly #abort = new AbortController();
  #release: (() => void) | undefined;
  #leader = false;
  #closed = false;

  constructor(key: string, handlers: ShareHandlers) {
    this.#lockName = `livelog:leader:${key}`;
    this.#channel = new BroadcastChannel(`livelog:relay:${key}`);
    this.#handlers = handlers;
    this.#channel.onmessage = (event: MessageEvent<RelayMessage>) => {
      if (!this.#leader && !this.#closed) this.#handlers.onMessage(event.data);
    };
  }

  get leader(): boolean {
    return this.#leader;
  }

  /** Joins the election; the tab follows until it gets the lock. */
  start(): void {
    navigator.locks
      .request(this.#lockName, { signal: this.#abort.signal }, () => {
        if (this.#closed) return undefined;
        this.#leader = true;
        this.#handlers.onLeader();
        // Holding the lock is leadership: it is released when this promise settles or the tab goes.
        return new Promise<void>((resolve) => {
          this.#release = resolve;
        });
      })
      .catch(() => {
        // Aborted by close() while waiting for the lock.
      });
  }

  /** Sends to every other tab of this key. */
  post(message: RelayMessage): void {
    if (!this.#closed) this.#channel.postMessage(message);
  }

  /**
   * Leaves the election. With `holdLockMs`, a leader keeps the lock that long: after relaying a
   * stream's `end`, so a waiting tab hears the end before the browser can hand it the lock (a
   * BroadcastChannel message and a lock grant to another tab are not ordered).
   */
  close(holdLockMs = 0): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#abort.abort();
    const release = this.#release;
    if (release !== undefined && holdLockMs > 0) setTimeout(release, holdLockMs);
    else release?.();
    this.#channel.close();
  }
}
