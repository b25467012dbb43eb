import { createStreamId, type EndListener, type IdentityListener, ListenerSet } from '@livelog/core';
import type { EndInfo } from '@livelog/protocol';
import { parseEnd } from './redis-calls.js';

/**
 * What one handle knows of its stream in Redis: the identity, the newest seq seen and the end, and
 * who listens for a change of the first or the arrival of the last. Redis holds the truth; every
 * reply of a script or a follower passes through here, so a wiped and rewritten stream is noticed
 * wherever it is met first.
 */
export class KnownStream {
  readonly #identityListeners = new ListenerSet<string>();
  readonly #endListeners = new ListenerSet<EndInfo>();
  /** The identity in Redis, or the one the first write will create. */
  #id = createStreamId();
  /** True once `#id` was seen in Redis: a stream made again after a wipe needs a new one. */
  #confirmed = false;
  /** The newest seq seen: where a new follower starts. */
  #lastSeq = 0;
  #end: EndInfo | undefined;

  get id(): string {
    return this.#id;
  }

  /** True once the identity was seen in Redis. */
  get confirmed(): boolean {
    return this.#confirmed;
  }

  get lastSeq(): number {
    return this.#lastSeq;
  }

  get end(): EndInfo | undefined {
    return this.#end;
  }

  /**
   * The identity a write creates the stream with if it does not exist: the one shown until the
   * stream is seen in Redis (so a broker started before the first write keeps it), a new one after
   * (a stream written again after its keys were wiped must not reuse the old identity).
   */
  candidate(): string {
    return this.#confirmed ? createStreamId() : this.#id;
  }

  /** Redis holds entries up to `seq`. */
  seen(seq: number): void {
    if (seq > this.#lastSeq) this.#lastSeq = seq;
  }

  /** Takes the identity Redis reports; tells listeners when it is not the one held. */
  adopt(stream: string): void {
    this.#confirmed = true;
    if (stream === this.#id) return;
    this.#id = stream;
    // Another stream under the same name: what was known of the old one no longer holds.
    this.#lastSeq = 0;
    this.#end = undefined;
    this.#identityListeners.emit(stream);
  }

  /** The end Redis holds (its JSON), learned by a read: kept without telling anyone. */
  learnEnd(json: string): void {
    if (json !== '' && this.#end === undefined) this.#end = parseEnd(json);
  }

  /** The end as read (`learnEnd`) or as it happened: `onEnd` listeners are told. */
  ended(json: string): void {
    const end = parseEnd(json);
    if (end === undefined) return;
    this.#end = end;
    this.#endListeners.emit(end);
  }

  /** Keeps an end that came with a stream's info. */
  keepEnd(end: EndInfo | undefined): void {
    if (end !== undefined && this.#end === undefined) this.#end = end;
  }

  onIdentityChange(listener: IdentityListener): () => void {
    return this.#identityListeners.add(listener);
  }

  onEnd(listener: EndListener): () => void {
    return this.#endListeners.add(listener);
  }
}
