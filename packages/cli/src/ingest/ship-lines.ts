import type { Readable, Writable } from 'node:stream';
import type { Shipper } from '@livelog/client';
import { LINE_GROUP_IDLE_MS, LineGrouper } from '@livelog/core/ingest';
import type { LevelName } from '@livelog/protocol';
import { encodeLine, type LineDefaults } from './line-record.js';
import { LineSplitter } from './line-splitter.js';

/** Options of `shipLines`. */
export interface ShipLinesOptions {
  shipper: Shipper;
  defaults: LineDefaults;
  /** Where each chunk is also written, unchanged, before its lines are shipped (the terminal). */
  passthrough?: Writable;
  /** Group a stack trace and the lines continuing it into one entry (LineGrouper). Defaults to true. */
  multiline?: boolean;
  /**
   * Stops reading as if the input had ended there (Ctrl-C, SIGTERM): what was read is shipped, the
   * last line without its newline and a trace still being grouped included.
   */
  stop?: AbortSignal;
  /**
   * The producer is gone (`run`'s program exited) but the input may stay open, held by processes it
   * left running: once `signal` aborts, reading goes on until the input is quiet for `quietMs` (no
   * data, none held back by backpressure), or for `maxMs` of reading at most, then stops as `stop`
   * does and calls `onCut`. Time held back by backpressure does not count: what the producer wrote
   * before it went is in the pipe ahead of anything else, and is read whole however slow the server.
   */
  settle?: { signal: AbortSignal; quietMs: number; maxMs: number; onCut: () => void };
}

/**
 * Reads `input` to its end, ships every line (the last one too when it has no newline) and resolves
 * with how many there were. Backpressure goes all the way back: reading pauses while the shipper's
 * memory is full or the passthrough cannot take more, so a fast producer blocks instead of growing
 * memory or losing lines.
 *
 * With `multiline`, a trace is shipped as one entry once a line that does not continue it arrives,
 * or after LINE_GROUP_IDLE_MS without input (a program that printed a trace and went quiet).
 */
export function shipLines(input: Readable, options: ShipLinesOptions): Promise<number> {
  const { shipper, defaults, passthrough } = options;
  return new Promise((resolve, reject) => {
    let lines = 0;
    let now = Date.now();
    let full = false;
    let holds = 0;
    let passthroughOpen = passthrough !== undefined;
    const hold = (): void => {
      if (holds++ === 0) input.pause();
    };
    const release = (): void => {
      if (--holds === 0) input.resume();
    };
    const ship = (text: string, level: LevelName | undefined, invalidUtf8: boolean, time: number): void => {
      if (!shipper.writeLine(encodeLine(text, invalidUtf8, time, defaults, level))) full = true;
    };
    const grouper =
      options.multiline === false
        ? undefined
        : new LineGrouper(ship, { defaultLevel: defaults.level, ...(defaults.forceLevel ? { forceLevel: defaults.forceLevel } : {}) });
    const splitter = new LineSplitter((line, invalidUtf8) => {
      // A byte order mark (a file saved by Notepad or PowerShell 5) is no part of the first line: kept,
      // it hid the line's level or time, and the server drops it from a body it starts for the same reason.
      const text = lines === 0 && line.startsWith('\ufeff') ? line.slice(1) : line;
      lines++;
      if (grouper === undefined) ship(text, undefined, invalidUtf8, now);
      else grouper.push(text, invalidUtf8, now);
    });
    const waitForRoom = (): void => {
      full = false;
      hold();
      void shipper.waitForRoom().then(release);
    };
    let idle: NodeJS.Timeout | undefined;
    const onIdle = (): void => {
      // Input held back by backpressure is not silence: the rest of the trace may be waiting in the pipe.
      if (holds > 0) {
        idle?.refresh();
        return;
      }
      idle = undefined;
      grouper?.flush();
      if (full) waitForRoom();
    };
    let draining = false;
    const drained = (): void => {
      if (!draining) return;
      draining = false;
      release();
    };
    // A closed terminal or pipe (`livelog run cmd | head`) ends the passthrough, not the shipping.
    passthrough?.on('error', () => {
      passthroughOpen = false;
      drained();
    });
    /** When data last came, or reading last went on after backpressure (`settle` waits for quiet from then). */
    let lastData = now;
    const onData = (chunk: Buffer): void => {
      now = Date.now();
      lastData = now;
      if (passthroughOpen && passthrough !== undefined && !passthrough.write(chunk) && !draining) {
        draining = true;
        hold();
        passthrough.once('drain', drained);
      }
      splitter.push(chunk);
      if (grouper?.pending) {
        if (idle === undefined) idle = setTimeout(onIdle, LINE_GROUP_IDLE_MS);
        else idle.refresh();
      }
      if (full) waitForRoom();
    };
    let ended = false;
    const end = (): void => {
      if (ended) return;
      ended = true;
      if (idle !== undefined) clearTimeout(idle);
      splitter.end();
      grouper?.flush();
      resolve(lines);
    };
    const stopReading = (): void => {
      if (ended) return;
      input.off('data', onData);
      input.pause();
      // Chunks already taken from the pipe but held back by backpressure were read: they are shipped too.
      for (let chunk = input.read() as Buffer | null; chunk !== null; chunk = input.read() as Buffer | null) onData(chunk);
      input.destroy();
      end();
    };
    input.on('data', onData);
    input.once('end', end);
    input.once('error', reject);
    options.stop?.addEventListener('abort', stopReading, { once: true });
    const settle = options.settle;
    settle?.signal.addEventListener(
      'abort',
      () => {
        let reading = 0;
        let at = Date.now();
        const check = (): void => {
          if (ended) return;
          const time = Date.now();
          // Only time spent reading counts, none spent waiting for the shipper or the terminal.
          if (holds === 0) reading += time - at;
          // While held, the pipe is not read: its quiet can only be told once reading goes on.
          else lastData = time;
          at = time;
          if (holds > 0 || (time - lastData < settle.quietMs && reading < settle.maxMs)) {
            setTimeout(check, Math.min(settle.quietMs, 50));
            return;
          }
          // A loaded event loop runs timers before it polls the pipe: quiet counts once a poll found nothing.
          const seen = lastData;
          setImmediate(() => {
            if (ended) return;
            if (holds > 0 || (lastData !== seen && reading < settle.maxMs)) {
              setTimeout(check, Math.min(settle.quietMs, 50));
              return;
            }
            settle.onCut();
            stopReading();
          });
        };
        lastData = Date.now();
        setTimeout(check, Math.min(settle.quietMs, 50));
      },
      { once: true },
    );
  });
}
