import { Agent, request } from 'node:http';
import { decodeCursor, type IngestReply } from '@livelog/protocol';

/** Result of posting a series of batches. */
export interface PostResult {
  entries: number;
  elapsedMs: number;
  /** Highest seq acknowledged (livelog's `lastId`), 0 when the server does not say. */
  lastSeq: number;
}

/** What the bodies of an IngestClients are, when they are not livelog's NDJSON. */
export interface IngestBodyOptions {
  /** Defaults to `application/x-ndjson`. */
  contentType?: string;
  /**
   * Entries in each body, for protocols whose answer does not count them (OTLP, Loki push); a 2xx
   * answer then means all of them were accepted. Unset: the answer's `accepted` and `lastId`.
   */
  entriesPerBody?: number;
}

/** Keep-alive HTTP clients posting bodies (NDJSON unless told otherwise) to one server. */
export class IngestClients {
  readonly #agent: Agent;
  readonly #port: number;
  readonly #path: string;
  readonly #contentType: string;
  readonly #entriesPerBody: number | undefined;

  constructor(port: number, path: string, clients: number, options: IngestBodyOptions = {}) {
    this.#port = port;
    this.#path = path;
    this.#agent = new Agent({ keepAlive: true, maxSockets: clients });
    this.#contentType = options.contentType ?? 'application/x-ndjson';
    this.#entriesPerBody = options.entriesPerBody;
  }

  /** The server's port. */
  get port(): number {
    return this.#port;
  }

  /** Posts one body (to `path`, else the clients' path); resolves with the accepted count and the last acknowledged seq. */
  post(body: Buffer, path = this.#path): Promise<{ accepted: number; lastSeq: number }> {
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: this.#port,
          path,
          method: 'POST',
          agent: this.#agent,
          headers: { 'content-type': this.#contentType, 'content-length': body.length },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (part: string) => {
            text += part;
          });
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            if (status < 200 || status > 299) {
              reject(new Error(`POST ${path}: HTTP ${res.statusCode} ${text.slice(0, 300)}`));
              return;
            }
            if (this.#entriesPerBody !== undefined) {
              // OTLP answers partialSuccess when it refused records: an empty answer means none.
              if (text !== '' && text !== '{}')
                reject(new Error(`POST ${this.#path}: partial success ${JSON.stringify(text.slice(0, 300))}`));
              else resolve({ accepted: this.#entriesPerBody, lastSeq: 0 });
              return;
            }
            // The ceiling answers `accepted` only; livelog answers an IngestReply.
            const reply = JSON.parse(text) as Pick<IngestReply, 'accepted'> & Partial<IngestReply>;
            const decoded = reply.lastId === undefined ? undefined : decodeCursor(reply.lastId);
            const lastSeq = decoded?.ok ? decoded.cursor.seq : 0;
            resolve({ accepted: reply.accepted, lastSeq });
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  /**
   * Posts `batches` bodies (cycling through `bodies`) with `clients` requests in flight, each client
   * sending its next body as soon as the previous one is acknowledged.
   */
  async postAll(bodies: readonly Buffer[], batches: number, clients: number): Promise<PostResult> {
    let next = 0;
    let entries = 0;
    let lastSeq = 0;
    const started = performance.now();
    const client = async (): Promise<void> => {
      while (next < batches) {
        const body = bodies[next++ % bodies.length] as Buffer;
        const reply = await this.post(body);
        entries += reply.accepted;
        lastSeq = Math.max(lastSeq, reply.lastSeq);
      }
    };
    await Promise.all(Array.from({ length: clients }, client));
    return { entries, elapsedMs: performance.now() - started, lastSeq };
  }

  close(): void {
    this.#agent.destroy();
  }
}
