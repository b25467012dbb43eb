import { Agent, request } from 'node:http';
import { decodeCursor, type IngestReply } from '@livelog/protocol';

/** Result of posting a series of batches. */
export interface PostResult {
  entries: number;
  elapsedMs: number;
  /** Highest seq acknowledged (livelog's `lastId`), 0 when the server does not say. */
  lastSeq: number;
}

/** Keep-alive HTTP clients posting NDJSON bodies to one server. */
export class IngestClients {
  readonly #agent: Agent;
  readonly #port: number;
  readonly #path: string;

  constructor(port: number, path: string, clients: number) {
    this.#port = port;
    this.#path = path;
    this.#agent = new Agent({ keepAlive: true, maxSockets: clients });
  }

  /** Posts one body; resolves with the accepted count and the last acknowledged seq. */
  post(body: Buffer): Promise<{ accepted: number; lastSeq: number }> {
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: this.#port,
          path: this.#path,
          method: 'POST',
          agent: this.#agent,
          headers: { 'content-type': 'application/x-ndjson', 'content-length': body.length },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (part: string) => {
            text += part;
          });
          res.on('end', () => {
            if (res.statusCode !== 200) {
              reject(new Error(`POST ${this.#path}: HTTP ${res.statusCode} ${text.slice(0, 300)}`));
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
