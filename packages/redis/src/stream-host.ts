import type { LogDatabase } from '@livelog/core';
import type { CallOptions } from './redis-calls.js';
import type { RedisLink } from './redis-link.js';
import type { StreamFollower } from './stream-follower.js';

/** Tunables every stream handle of a database shares. */
export interface StreamSettings {
  /** Most entries per XRANGE of a catch-up or a filtered history scan. */
  pageSize: number;
  /** Wall time after which a filtered history read stops with a resume position, in ms. */
  scanMaxMs: number;
  /** Stored JSON of one history page, in UTF-16 code units. */
  pageUnits: number;
  /** Lifetime of an idempotency key, in ms. */
  idempotencyTtlMs: number;
  /** Most idempotency keys remembered per stream; the nearest to expiring go first. */
  idempotencyMaxKeys: number;
}

/** What a stream handle needs from the database it belongs to. */
export interface StreamHost {
  /** The database the stream belongs to. */
  readonly database: LogDatabase;
  readonly link: RedisLink;
  readonly calls: CallOptions;
  readonly settings: StreamSettings;
  /**
   * The registry step after the stream's own script: lists `name` with `identity` (idempotent), and
   * marks the stream as listed. Called when the script answered that the stream is not listed yet.
   */
  register(name: string, identity: string, hasRetention?: boolean): Promise<void>;
  /** The stream was written now: its `recent` score is raised within about a second. */
  touch(name: string): void;
  /** This process ended the stream: tells the other processes (changes channel) and local listeners. */
  announceEnded(name: string): void;
  /** A followed stream's channel said this identity of it was deleted (by any process). */
  onDeletedElsewhere(name: string, identity: string): void;
  /** Starts following a stream (subscription, shared poll); returns the stop function. */
  follow(follower: StreamFollower): () => void;
}
