import { Transform, type TransformCallback } from 'node:stream';
import { LivelogError } from '@livelog/core';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** Seconds a refused client is asked to wait: ingest bytes are held for one parse and commit, well under that. */
export const INGEST_BUSY_RETRY_AFTER_S = 1;

/**
 * The ingest bytes a server holds at once, across every request being received, parsed and
 * committed. Parsing and encoding cost several times a body's size in memory, so without a bound a
 * few large batches at once take the server to gigabytes; past the bound a request is refused with
 * 503 and Retry-After (shippers retry it, with the same Idempotency-Key), and nothing is lost.
 */
export class IngestBudget {
  readonly limit: number;
  #held = 0;

  constructor(limit: number) {
    this.limit = limit;
  }

  /** Bytes held now. */
  get held(): number {
    return this.#held;
  }

  /** Takes `bytes` from the budget; throws LIVELOG_ERR_INGEST_BUSY when they do not fit. */
  take(bytes: number): void {
    if (this.#held + bytes > this.limit) {
      throw new LivelogError(
        'LIVELOG_ERR_INGEST_BUSY',
        `the server is taking in ${this.#held} bytes of other batches (--ingest-buffer is ${this.limit}); nothing of this one was stored, retry in ${INGEST_BUSY_RETRY_AFTER_S} s`,
      );
    }
    this.#held += bytes;
  }

  give(bytes: number): void {
    this.#held -= bytes;
  }

  /**
   * The body of one request, charged to the budget: its declared `Content-Length` at once, before any
   * of it is read, so a refused client has uploaded nothing; a chunked body chunk by chunk as it
   * arrives. Everything is given back by `release`, once the request's answer is out.
   */
  charge(declaredLength: number | undefined, body: NodeJS.ReadableStream): { body: NodeJS.ReadableStream; release(): void } {
    let charged = 0;
    const release = (): void => {
      this.give(charged);
      charged = 0;
    };
    if (declaredLength !== undefined) {
      this.take(declaredLength);
      charged = declaredLength;
      return { body, release };
    }
    const take = (bytes: number): void => {
      this.take(bytes);
      charged += bytes;
    };
    const counted = new Transform({
      transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback) {
        try {
          take(chunk.length);
          done(null, chunk);
        } catch (error) {
          done(error as Error);
        }
      },
    });
    body.pipe(counted);
    return { body: counted, release };
  }
}

/**
 * A `preParsing` hook that charges a request's body to `budget` before it is read and gives it back
 * once the answer is out: parse and commit included. Every ingest route uses it (native, OTLP, Loki).
 */
export function chargeIngestBody(
  budget: IngestBudget,
  bodyLimit: number,
): (request: FastifyRequest, reply: FastifyReply, payload: NodeJS.ReadableStream) => Promise<NodeJS.ReadableStream> {
  return async (request, reply, payload) => {
    const header = request.headers['content-length'];
    const declared = header === undefined ? undefined : Number(header);
    // Fastify answers 413 without reading such a body: nothing to hold.
    if (declared !== undefined && declared > bodyLimit) return payload;
    const charged = budget.charge(declared, payload);
    reply.raw.once('close', charged.release);
    return charged.body;
  };
}
