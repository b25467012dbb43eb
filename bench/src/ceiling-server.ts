import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CEILING_STREAM, storedJson } from './entries.js';
import { type MemorySample, sampleMemory } from './memory.js';
import { announceReady, serveRpc } from './rpc.js';

/**
 * The raw Node socket ceiling: a bare `node:http` server with no store, no parsing, no framework.
 * - `GET /stream`: SSE headers and a hello event, then whatever the bench sends.
 * - `POST /ingest`: reads the body, counts its lines, answers `{"accepted":n}` (the ingest ceiling);
 *   with readers connected it relays each line as an entry frame to every reader at once (the
 *   latency floor: HTTP in, SSE out, nothing in between). After `relay`, each line is answered
 *   instead with the next prepared frame, queued to every reader as `blast` does (the fan-out
 *   ceiling: the same bodies in as livelog gets, the same bytes out).
 * - `blast` (IPC): writes pre-encoded frames to every reader, waiting for `drain` like livelog does.
 */

const CHUNK_ENTRIES = 1000;

export interface CeilingApi {
  [method: string]: (arg: never) => unknown;
  /** Pre-encodes frames for seqs 1..entries in chunks of 1,000. */
  prepare(arg: { entries: number; time: number }): { bytes: number };
  /** Writes prepared entries (from seq `first`, `count` of them) to every reader. */
  blast(arg: { first: number; count: number }): void;
  /** From now until `release`, each line POSTed to /ingest sends the next prepared entry, from seq `first`, to every reader. */
  relay(arg: { first: number }): void;
  /** Restarts the relay's seq numbering at 1. */
  resetSeq(arg: undefined): void;
  /** Drops prepared frames. */
  release(arg: undefined): void;
  mem(arg: undefined): MemorySample;
  readers(arg: undefined): number;
  stop(arg: undefined): void;
}

interface StreamReader {
  response: ServerResponse;
  /** Chunks still to write, as [chunk index, first entry in it, end entry]. */
  queue: { chunk: number; from: number; to: number }[];
  waiting: boolean;
}

const readers = new Set<StreamReader>();
let chunks: { buffer: Buffer; offsets: Uint32Array }[] = [];
let relaySeq = 0;
/** The prepared entry the next POSTed line sends (see `relay`); undefined: lines are spliced into frames. */
let relayNext: number | undefined;

const server = createServer((request, response) => {
  if (request.method === 'GET' && request.url?.startsWith('/stream')) return stream(request, response);
  if (request.method === 'POST' && request.url?.startsWith('/ingest')) return ingest(request, response);
  response.writeHead(404).end();
});
server.keepAliveTimeout = 65_000;

function stream(request: IncomingMessage, response: ServerResponse): void {
  request.socket.setNoDelay(true);
  response.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    'x-accel-buffering': 'no',
    connection: 'keep-alive',
  });
  const hello = JSON.stringify({ stream: CEILING_STREAM, first: 1, last: 0, heartbeatMs: 15_000 });
  response.write(`event: hello\nretry: 2000\ndata: ${hello}\nid: ${CEILING_STREAM}:0\n\n`);
  const reader: StreamReader = { response, queue: [], waiting: false };
  readers.add(reader);
  response.once('close', () => readers.delete(reader));
}

function ingest(request: IncomingMessage, response: ServerResponse): void {
  const parts: Buffer[] = [];
  request.on('data', (part: Buffer) => parts.push(part));
  request.on('end', () => {
    const body = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
    let lines = 0;
    let frames = '';
    if (relayNext !== undefined) {
      for (let start = 0; start < body.length; ) {
        let end = body.indexOf(0x0a, start);
        if (end < 0) end = body.length;
        if (end > start) lines++;
        start = end + 1;
      }
      queue(relayNext, lines);
      relayNext += lines;
      response.writeHead(200, { 'content-type': 'application/json' }).end(`{"accepted":${lines}}`);
      return;
    }
    for (let start = 0; start < body.length; ) {
      let end = body.indexOf(0x0a, start);
      if (end < 0) end = body.length;
      if (end > start) {
        lines++;
        if (readers.size > 0) {
          const seq = ++relaySeq;
          // Splices id and seq into the producer's object, as an entry frame, without parsing it.
          frames += `data: {"id":"${CEILING_STREAM}:${seq}","seq":${seq},${body.toString('utf8', start + 1, end)}\nid: ${CEILING_STREAM}:${seq}\n\n`;
        }
      }
      start = end + 1;
    }
    if (frames !== '') {
      const buffer = Buffer.from(frames, 'utf8');
      for (const reader of readers) reader.response.write(buffer);
    }
    response.writeHead(200, { 'content-type': 'application/json' }).end(`{"accepted":${lines}}`);
  });
}

function pump(reader: StreamReader): void {
  while (reader.queue.length > 0) {
    const next = reader.queue.shift() as { chunk: number; from: number; to: number };
    const { buffer, offsets } = chunks[next.chunk] as { buffer: Buffer; offsets: Uint32Array };
    const view = next.from === 0 && next.to === CHUNK_ENTRIES ? buffer : buffer.subarray(offsets[next.from], offsets[next.to]);
    if (!reader.response.write(view)) {
      reader.waiting = true;
      reader.response.once('drain', () => {
        reader.waiting = false;
        pump(reader);
      });
      return;
    }
  }
}

/** Queues prepared entries `first`..`first + count - 1` to every reader and writes what their sockets take. */
function queue(first: number, count: number): void {
  for (const reader of readers) {
    for (let seq = first; seq < first + count; ) {
      const chunk = Math.floor((seq - 1) / CHUNK_ENTRIES);
      const from = (seq - 1) % CHUNK_ENTRIES;
      const to = Math.min(CHUNK_ENTRIES, from + (first + count - seq));
      reader.queue.push({ chunk, from, to });
      seq += to - from;
    }
    if (!reader.waiting) pump(reader);
  }
}

const api: CeilingApi = {
  prepare({ entries, time }) {
    chunks = [];
    let bytes = 0;
    for (let first = 1; first <= entries; first += CHUNK_ENTRIES) {
      const offsets = new Uint32Array(CHUNK_ENTRIES + 1);
      let text = '';
      let offset = 0;
      for (let i = 0; i < CHUNK_ENTRIES; i++) {
        const seq = first + i;
        const frame = `data: ${storedJson(CEILING_STREAM, seq, seq - 1, time)}\nid: ${CEILING_STREAM}:${seq}\n\n`;
        offsets[i] = offset;
        offset += Buffer.byteLength(frame);
        text += frame;
      }
      offsets[CHUNK_ENTRIES] = offset;
      const buffer = Buffer.from(text, 'utf8');
      bytes += buffer.length;
      chunks.push({ buffer, offsets });
    }
    return { bytes };
  },
  blast({ first, count }) {
    queue(first, count);
  },
  relay({ first }) {
    relayNext = first;
  },
  resetSeq() {
    relaySeq = 0;
  },
  release() {
    chunks = [];
    relayNext = undefined;
  },
  mem() {
    return sampleMemory();
  },
  readers() {
    return readers.size;
  },
  stop() {
    for (const reader of readers) reader.response.destroy();
    server.close();
    setImmediate(() => process.exit(0));
  },
};

server.listen(0, '127.0.0.1', () => {
  serveRpc(api);
  announceReady({ port: (server.address() as AddressInfo).port });
});
