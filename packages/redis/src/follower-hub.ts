import type { RedisLink } from './redis-link.js';
import type { StreamFollower } from './stream-follower.js';

/**
 * The followed streams of one Redis database: one Pub/Sub subscription per hint channel, whatever
 * the number of handles following it (a handle of `createRedisStore` and the engine's handle of
 * `default` may both), and one shared poll timer that runs only while something is followed.
 */
export class FollowerHub {
  readonly #pollMs: number;
  readonly #onError: ((error: unknown) => void) | undefined;
  readonly #followers = new Set<StreamFollower>();
  /** The followers of each subscribed hint channel. */
  readonly #channels = new Map<string, { followers: Set<StreamFollower>; ready: Promise<unknown> }>();
  #poll: NodeJS.Timeout | undefined;

  constructor(pollMs: number, onError: ((error: unknown) => void) | undefined) {
    this.#pollMs = pollMs;
    this.#onError = onError;
  }

  /** Follows through `link` until the returned function is called. */
  follow(link: RedisLink, follower: StreamFollower): () => void {
    this.#followers.add(follower);
    const channel = follower.channel;
    let subscription = this.#channels.get(channel);
    if (subscription === undefined) {
      const followers = new Set<StreamFollower>();
      const ready = link
        .subscribe(channel, (message) => {
          for (const each of followers) each.hint(message);
        })
        .catch((error: unknown) => this.#onError?.(error));
      subscription = { followers, ready };
      this.#channels.set(channel, subscription);
    }
    subscription.followers.add(follower);
    // Subscribed first, then read: an append between the two is in the read or in a hint.
    void subscription.ready.then(() => follower.poll());
    this.#poll ??= setInterval(() => this.pollAll(), this.#pollMs).unref();
    return () => {
      if (!this.#followers.delete(follower)) return;
      const current = this.#channels.get(channel);
      current?.followers.delete(follower);
      if (current !== undefined && current.followers.size === 0) {
        this.#channels.delete(channel);
        link.unsubscribe(channel).catch(() => undefined);
      }
      if (this.#followers.size === 0) this.stop();
    };
  }

  /** Every followed stream checks its state now (the timer's turn, or a reconnect). */
  pollAll(): void {
    for (const follower of this.#followers) follower.poll();
  }

  /** Stops the poll timer. */
  stop(): void {
    if (this.#poll !== undefined) clearInterval(this.#poll);
    this.#poll = undefined;
  }
}
