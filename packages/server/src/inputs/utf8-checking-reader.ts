import { isUtf8 } from 'node:buffer';
import protobuf from 'protobufjs/minimal.js';

/**
 * A protobuf reader that remembers which decoded strings held invalid UTF-8. Decoding replaces
 * invalid sequences with U+FFFD (as every livelog input does); the mapping then marks the entries
 * that carry one of these strings `invalidUtf8`, as the design asks, instead of passing off the
 * replacement as what the sender wrote.
 */
export class Utf8CheckingReader extends protobuf.BufferReader {
  /** Decoded strings whose bytes were not valid UTF-8. */
  readonly replaced = new Set<string>();

  override string(): string {
    const start = this.pos;
    const text = super.string();
    // Valid UTF-8 never decodes to U+FFFD unless the sender wrote one: check the bytes only then.
    if (text.includes('\uFFFD')) {
      const end = this.pos;
      this.pos = start;
      const length = this.uint32();
      if (!isUtf8(this.buf.subarray(this.pos, this.pos + length))) this.replaced.add(text);
      this.pos = end;
    }
    return text;
  }
}

/** Tells whether a decoded string had invalid UTF-8 replaced; undefined when the request held none. */
export type ReplacedStrings = ((text: string) => boolean) | undefined;

/** The replaced strings of a protobuf body read with `reader`. */
export function replacedByReader(reader: Utf8CheckingReader): ReplacedStrings {
  return reader.replaced.size === 0 ? undefined : (text) => reader.replaced.has(text);
}

/**
 * The replaced strings of a JSON body: `JSON.parse` of its UTF-8 decoding replaced invalid bytes
 * with U+FFFD, so only in a body that is not valid UTF-8 is a U+FFFD not the sender's own.
 */
export function replacedInText(body: Buffer): ReplacedStrings {
  return isUtf8(body) ? undefined : (text) => text.includes('\uFFFD');
}
