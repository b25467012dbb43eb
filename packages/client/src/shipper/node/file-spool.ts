import { type FileHandle, open, readdir, readFile, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { crc32 } from 'node:zlib';
import type { RecoveredFrame, ShipperSpool, SpoolFrame, SpoolRef } from '../shipper-spool.js';
import { makeDir } from './make-dir.js';

/** Options of `createFileSpool`. */
export interface FileSpoolOptions {
  /** Directory of the spool; created when missing. One shipper at a time may use it (a lock file says which). */
  dir: string;
  /** A segment file this large is closed and a new one started, so acknowledged data can be deleted. Defaults to 16 MiB. */
  segmentBytes?: number;
}

interface FrameRef {
  segment: number;
  /** Offset of the frame's header in its segment. */
  offset: number;
  /** Offset of the body. */
  bodyOffset: number;
  bodyBytes: number;
  /** Offset just past the frame. */
  end: number;
}

interface FrameHeader {
  k: string;
  s?: string;
  n: number;
  b: number;
  c: number;
}

const SEGMENT = /^spool-(\d{8})\.ndjson$/;
/** Spool directories this process holds, since a lock naming our own pid may also be a dead predecessor's (pids are reused, in containers often). */
const HELD = new Set<string>();

/**
 * A write-ahead spool in a directory: append-only segment files `spool-00000001.ndjson` of frames
 * (a JSON header line `{"k":key,"s":source,"n":records,"b":bytes,"c":crc32}` then the NDJSON body),
 * each fsync'ed before `append` resolves, and `spool.ack` naming the first unacknowledged frame.
 *
 * Acknowledged data is removed: whole segments are deleted, and the current one is truncated once
 * everything in it is acknowledged. The ack file is written without fsync on purpose: if a crash
 * loses it, the frames after the older position are sent again with their original keys, and the
 * server answers them as replays (it remembers keys for 24 h), so nothing is stored twice.
 */
export function createFileSpool(options: FileSpoolOptions): ShipperSpool {
  return new FileSpool(options.dir, options.segmentBytes ?? 16 * 1024 * 1024);
}

class FileSpool implements ShipperSpool {
  readonly #dir: string;
  readonly #segmentBytes: number;
  #frames: FrameRef[] = [];
  #segment = 0;
  #size = 0;
  #handle: FileHandle | undefined;
  #locked = false;
  #tail: Promise<unknown> = Promise.resolve();

  constructor(dir: string, segmentBytes: number) {
    this.#dir = dir;
    this.#segmentBytes = segmentBytes;
  }

  open(): Promise<RecoveredFrame[]> {
    return this.#serial(() => this.#open());
  }

  append(frame: SpoolFrame): Promise<SpoolRef> {
    return this.#serial(() => this.#append(frame));
  }

  read(ref: SpoolRef): Promise<string> {
    return this.#readBody(ref as FrameRef);
  }

  acknowledge(ref: SpoolRef): Promise<void> {
    return this.#serial(() => this.#acknowledge(ref as FrameRef));
  }

  close(): Promise<void> {
    return this.#serial(async () => {
      await this.#handle?.close();
      this.#handle = undefined;
      if (this.#locked) {
        await rm(this.#path('spool.lock'), { force: true });
        HELD.delete(resolve(this.#dir));
      }
      this.#locked = false;
    });
  }

  #serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(task, task);
    this.#tail = run.catch(() => undefined);
    return run;
  }

  #path(name: string): string {
    return join(this.#dir, name);
  }

  async #open(): Promise<RecoveredFrame[]> {
    await makeDir(this.#dir);
    await this.#lock();
    const ack = await this.#readAck();
    const segments = (await readdir(this.#dir))
      .map((name) => SEGMENT.exec(name)?.[1])
      .filter((n): n is string => n !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
    const recovered: RecoveredFrame[] = [];
    for (const segment of segments) {
      if (segment < ack.segment) {
        await unlink(this.#path(segmentName(segment)));
        continue;
      }
      const data = await readFile(this.#path(segmentName(segment)));
      let offset = 0;
      while (offset < data.length) {
        const frame = parseFrame(data, offset);
        if (frame === undefined) {
          // A torn or damaged tail: the append never completed, so it was never reported durable.
          const handle = await open(this.#path(segmentName(segment)), 'r+');
          await handle.truncate(offset);
          await handle.sync();
          await handle.close();
          break;
        }
        const ref: FrameRef = { segment, offset, bodyOffset: frame.bodyOffset, bodyBytes: frame.header.b, end: frame.end };
        if (segment > ack.segment || offset >= ack.offset) {
          this.#frames.push(ref);
          recovered.push({
            ref,
            key: frame.header.k,
            source: frame.header.s,
            records: frame.header.n,
            bytes: frame.header.b,
          });
        }
        offset = frame.end;
      }
      this.#segment = segment;
      this.#size = offset;
    }
    // Never below the ack file's segment: frames appended there must not look acknowledged at the next open.
    this.#segment = Math.max(this.#segment, ack.segment, 1);
    this.#handle = await open(this.#path(segmentName(this.#segment)), 'a+');
    if (this.#frames.length === 0) await this.#reset();
    return recovered;
  }

  async #lock(): Promise<void> {
    const path = this.#path('spool.lock');
    const held = resolve(this.#dir);
    if (HELD.has(held)) throw new Error(`the spool ${this.#dir} is in use by this process; one shipper per spool directory`);
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await writeFile(path, `${process.pid}\n`, { flag: 'wx' });
        HELD.add(held);
        this.#locked = true;
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const pid = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10);
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
        throw new Error(`the spool ${this.#dir} is in use by process ${pid}; one shipper per spool directory`);
      }
      // The holder is gone (killed): its lock is stale.
      await rm(path, { force: true });
    }
    throw new Error(`cannot lock the spool ${this.#dir}`);
  }

  async #readAck(): Promise<{ segment: number; offset: number }> {
    const text = await readFile(this.#path('spool.ack'), 'utf8').catch(() => '');
    const match = /^(\d+) (\d+)\n$/.exec(text);
    // A missing or damaged ack file means: send everything again; the server drops the replays.
    return match === null ? { segment: 0, offset: 0 } : { segment: Number(match[1]), offset: Number(match[2]) };
  }

  async #writeAck(segment: number, offset: number): Promise<void> {
    const temp = this.#path('spool.ack.tmp');
    await writeFile(temp, `${segment} ${offset}\n`);
    await rename(temp, this.#path('spool.ack'));
  }

  async #append(frame: SpoolFrame): Promise<FrameRef> {
    const body = Buffer.from(frame.body, 'utf8');
    const header: FrameHeader = { k: frame.key, n: frame.records, b: body.length, c: crc32(body) };
    if (frame.source !== undefined) header.s = frame.source;
    const head = Buffer.from(`${JSON.stringify(header)}\n`, 'utf8');
    if (this.#size > 0 && this.#size + head.length + body.length > this.#segmentBytes) await this.#rotate();
    const handle = this.#handle;
    if (handle === undefined) throw new Error('the spool is not open');
    const offset = this.#size;
    const total = head.length + body.length;
    try {
      // A short write is no error to writev: a disk filling up (or a file size limit) writes what fits
      // and returns. The rest is written again, so that a full disk throws here instead of a frame
      // reported durable that the next open cuts off as torn, and every line in it with it.
      let written = (await handle.writev([head, body])).bytesWritten;
      while (written < total) {
        const rest = Buffer.concat([head, body]).subarray(written);
        const more = (await handle.write(rest)).bytesWritten;
        if (more === 0) throw new Error(`the spool took ${written} of the frame's ${total} bytes`);
        written += more;
      }
      await handle.datasync();
    } catch (error) {
      // The file is appended to: torn bytes left here would sit before the next frame, which the next
      // open would cut off with them.
      await handle.truncate(offset).catch(() => undefined);
      throw error;
    }
    this.#size += total;
    const ref: FrameRef = { segment: this.#segment, offset, bodyOffset: offset + head.length, bodyBytes: body.length, end: this.#size };
    this.#frames.push(ref);
    return ref;
  }

  async #rotate(): Promise<void> {
    await this.#handle?.close();
    this.#segment++;
    this.#size = 0;
    this.#handle = await open(this.#path(segmentName(this.#segment)), 'a+');
    await syncDir(this.#dir);
  }

  async #readBody(ref: FrameRef): Promise<string> {
    const handle = await open(this.#path(segmentName(ref.segment)), 'r');
    try {
      const buffer = Buffer.alloc(ref.bodyBytes);
      const { bytesRead } = await handle.read(buffer, 0, ref.bodyBytes, ref.bodyOffset);
      if (bytesRead !== ref.bodyBytes) throw new Error(`short read in ${segmentName(ref.segment)} at ${ref.bodyOffset}`);
      return buffer.toString('utf8');
    } finally {
      await handle.close();
    }
  }

  async #acknowledge(ref: FrameRef): Promise<void> {
    if (this.#frames[0] !== ref) throw new Error('spool frames must be acknowledged in order');
    this.#frames.shift();
    const next = this.#frames[0];
    if (next === undefined) {
      await this.#reset();
      return;
    }
    await this.#writeAck(next.segment, next.offset);
    for (let segment = ref.segment; segment < next.segment; segment++) {
      await rm(this.#path(segmentName(segment)), { force: true });
    }
  }

  /** Everything is acknowledged: the ack file moves to the start, then the segment is emptied (in that order, see the class note). */
  async #reset(): Promise<void> {
    await this.#writeAck(this.#segment, 0);
    if (this.#size > 0) {
      await this.#handle?.truncate(0);
      this.#size = 0;
    }
    const names = await readdir(this.#dir);
    for (const name of names) {
      const n = SEGMENT.exec(name)?.[1];
      if (n !== undefined && Number(n) < this.#segment) await rm(this.#path(name), { force: true });
    }
  }
}

function parseFrame(data: Buffer, offset: number): { header: FrameHeader; bodyOffset: number; end: number } | undefined {
  const newline = data.indexOf(0x0a, offset);
  if (newline === -1) return undefined;
  let header: FrameHeader;
  try {
    header = JSON.parse(data.toString('utf8', offset, newline)) as FrameHeader;
  } catch {
    return undefined;
  }
  if (typeof header.k !== 'string' || !Number.isInteger(header.n) || !Number.isInteger(header.b) || typeof header.c !== 'number')
    return undefined;
  const bodyOffset = newline + 1;
  const end = bodyOffset + header.b;
  if (end > data.length || crc32(data.subarray(bodyOffset, end)) !== header.c) return undefined;
  return { header, bodyOffset, end };
}

function segmentName(segment: number): string {
  return `spool-${String(segment).padStart(8, '0')}.ndjson`;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } catch {
    // Some platforms (Windows) cannot fsync a directory; the file's own fsync is what they offer.
  } finally {
    await handle.close();
  }
}
