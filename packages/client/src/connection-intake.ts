import type { LogEntry } from '@livelog/protocol';
import { LivelogClientError } from './errors.js';
import { parseEntries } from './parse-entries.js';
import type { ControlEventName, StreamDelivery } from './stream-delivery.js';
import type { StreamEventMap } from './stream-status.js';

/**
 * What one connection reads, on its way to the StreamDelivery. Entry events wait for the end of
 * their chunk and are parsed all at once: one JSON.parse per chunk instead of one per entry is most
 * of what makes delivery keep up with the network. A control event goes out after the entries before
 * it. The listeners' promises gathered over a chunk are handed back at its end, to hold back reading.
 */
export class ConnectionIntake {
  readonly #delivery: StreamDelivery;
  readonly #resumeBefore: (error: LivelogClientError) => void;
  #data: string[] = [];
  #ids: string[] = [];
  #pending: PromiseLike<void>[] = [];
  #malformedAt = '';
  #malformedStrikes = 0;

  /** `resumeBefore` drops the connection, to reconnect from the cursor before a damaged event. */
  constructor(delivery: StreamDelivery, resumeBefore: (error: LivelogClientError) => void) {
    this.#delivery = delivery;
    this.#resumeBefore = resumeBefore;
  }

  /** An entry event, parsed at the next flush. */
  entry(data: string, id: string): void {
    this.#data.push(data);
    this.#ids.push(id);
  }

  /** A control event, delivered after the entries before it (call `flush` first). */
  control<K extends ControlEventName>(name: K, payload: StreamEventMap[K], id: string): void {
    this.#delivery.control(name, payload, id, this.#pending);
  }

  /** Delivers the pending entries, in order. */
  flush(): void {
    this.#parsePending();
    this.#delivery.flush(this.#pending);
  }

  /** The end of a chunk: everything is delivered, and what listeners still work on is returned. */
  endChunk(): readonly PromiseLike<void>[] {
    this.flush();
    this.#delivery.relayCursor();
    const pending = this.#pending;
    if (pending.length === 0) return pending;
    this.#pending = [];
    return pending;
  }

  /**
   * An event whose data is not what livelog sends: bytes damaged on the way (a proxy), or a server bug.
   * Resuming before it costs one reconnect and loses nothing; only a position that fails three
   * times in a row is skipped, so a bad entry on the server cannot stall the reader forever.
   * @returns true when the connection is dropped to resume before it, false when it was skipped.
   */
  malformed(id: string): boolean {
    const key = `${this.#delivery.lastEventId}>${id}`;
    this.#malformedStrikes = this.#malformedAt === key ? this.#malformedStrikes + 1 : 1;
    this.#malformedAt = key;
    if (this.#malformedStrikes < 3) {
      this.#resumeBefore(new LivelogClientError('LIVELOG_CLIENT_ERR_MALFORMED', `event ${id} held no valid entry; resuming before it`));
      return true;
    }
    this.#delivery.stats.malformed++;
    this.#delivery.advance(id);
    return false;
  }

  /** Parses the pending entry events into the batch, in order; stops at a malformed one unless it is skipped. */
  #parsePending(): void {
    let datas = this.#data;
    let ids = this.#ids;
    this.#data = [];
    this.#ids = [];
    while (datas.length > 0) {
      const { entries, bad } = parseEntries(datas, ids);
      for (let i = 0; i < entries.length; i++) this.#delivery.entry(entries[i] as LogEntry, ids[i] as string);
      if (bad < 0 || this.malformed(ids[bad] as string)) return;
      datas = datas.slice(bad + 1);
      ids = ids.slice(bad + 1);
    }
  }
}
