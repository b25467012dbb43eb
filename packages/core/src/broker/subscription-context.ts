import type { EndInfo } from '@livelog/protocol';
import type { LogStore } from '../store/log-store.js';
import type { FrameRing } from './frame-ring.js';
import type { StreamPages } from './page-cache.js';
import type { Subscription } from './subscription.js';
import type { TurnBudget } from './turn-budget.js';

/** What a subscription needs from its broker. */
export interface SubscriptionContext {
  readonly store: LogStore;
  readonly ring: FrameRing;
  /** Newest seq the broker knows to be durable. */
  head(): number;
  /** How the stream ended, once it did: the reader gets `end` and `close` once caught up. */
  ended(): EndInfo | undefined;
  readonly pageSize: number;
  readonly maxWriteBytes: number;
  readonly lagThreshold: number;
  readonly lagIntervalMs: number;
  /** Catch-up pages shared with the broker's other readers; undefined: each reader reads its own. */
  readonly pages: StreamPages | undefined;
  /** Store pages the broker's readers may take per turn of the event loop. */
  readonly budget: TurnBudget;
  /** Bytes of shared catch-up pages (read by another reader) the broker's readers may write per turn. */
  readonly sharedBytes: TurnBudget;
  /** Counts readers catching up from pages (+1, -1); the bytes in flight each may have before its next page (0: any). */
  catchingUp(delta: 1 | -1): void;
  catchUpInFlight(): number;
  /** A page was read from the store directly (not through `pages`). */
  onPageRead(): void;
  onDelivered(entries: number): void;
  onGap(missed: number): void;
  /** A store error ended this reader's delivery; it was disconnected. */
  onStoreError(error: unknown): void;
  onClosed(subscription: Subscription): void;
}
