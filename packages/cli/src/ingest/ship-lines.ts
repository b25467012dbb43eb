import type { Readable, Writable } from 'node:stream';
import type { Shipper } from '@livelog/client';
import { encodeLine, type LineDefaults } from './line-record.js';
import { LineSplitter } from './line-splitter.js';

/** Options of `shipLines`. */
export interface ShipLinesOptions {
  shipper: Shipper;
  defaults: LineDefaults;
  /** Where each chunk is also written, unchanged, before its lines are shipped (the terminal). */
  passthrough?: Writable;
}

/**
 * Reads `input` to its end, ships every line (the last one too when it has no newline) and resolves
 * with how many there were. Backpressure goes all the way back: reading pauses while the shipper's
 * memory is full or the passthrough cannot take more, so a fast producer blocks instead of growing
 * memory or losing lines.
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
    const splitter = new LineSplitter((text, invalidUtf8) => {
      lines++;
      if (!shipper.writeLine(encodeLine(text, invalidUtf8, now, defaults))) full = true;
    });
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
    input.on('data', (chunk: Buffer) => {
      now = Date.now();
      if (passthroughOpen && passthrough !== undefined && !passthrough.write(chunk) && !draining) {
        draining = true;
        hold();
        passthrough.once('drain', drained);
      }
      splitter.push(chunk);
      if (full) {
        full = false;
        hold();
        void shipper.waitForRoom().then(release);
      }
    });
    input.once('end', () => {
      splitter.end();
      resolve(lines);
    });
    input.once('error', reject);
  });
}
