import { type LogEntry, searchableParts } from '@livelog/protocol';

/**
 * The words the search index holds: one per distinct trigram (three UTF-16 code units) of the
 * lower-cased text of a piece's entries, each written as a short base-36 number. FTS5 then posts each
 * distinct trigram of a piece once and tokenizes a handful of words per entry instead of the ~64
 * trigrams of its text (bench/README.md, "Hashed trigrams"). A printable-ASCII trigram has a number of
 * its own; any other is hashed into a range after them, where two trigrams may share a word: the
 * index then over-matches, and every candidate is confirmed by `matchEntry` anyway.
 *
 * **What an entry contributes.** An entry whose stored JSON is all printable ASCII contributes the
 * trigrams of that JSON, lower-cased, without any trigram holding `"` or `\`: JSON.stringify writes
 * every other printable-ASCII character as it is, so each such trigram of a searchable part (a value,
 * the message, the source, the level) is one of these, and no `JSON.parse` is needed. The JSON is
 * read from its `level` member on (`id`, `seq` and `time` before it are not searchable, and differ on
 * every line); the keys add trigrams too, which only widens candidates. Any other entry contributes the
 * trigrams of its searchable parts, lower-cased one by one as `matchEntry` does, joined by a newline.
 * A query asks for the trigrams of its lower-cased term that hold no `"`, `\`, control character or
 * lone surrogate (`queryWords`): each is in the text of every entry the term matches, in either form.
 */
const PRINTABLE_LOW = 0x20;
const PRINTABLE_HIGH = 0x7e;
const PRINTABLE = PRINTABLE_HIGH - PRINTABLE_LOW + 1;
/** Words 0 … PRINTABLE³ − 1 are printable-ASCII trigrams, each its own. */
const EXACT_WORDS = PRINTABLE ** 3;
const HASHED_BITS = 19;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const UPPER_A = 0x41;
const UPPER_Z = 0x5a;

/** The word of one trigram, by its three code units (already lower-cased). */
function wordOf(a: number, b: number, c: number): number {
  if (a >= PRINTABLE_LOW && a <= PRINTABLE_HIGH && b >= PRINTABLE_LOW && b <= PRINTABLE_HIGH && c >= PRINTABLE_LOW && c <= PRINTABLE_HIGH) {
    return ((a - PRINTABLE_LOW) * PRINTABLE + (b - PRINTABLE_LOW)) * PRINTABLE + (c - PRINTABLE_LOW);
  }
  let h = Math.imul(a, 0x9e3779b1) ^ Math.imul(b, 0x85ebca77) ^ Math.imul(c, 0xc2b2ae3d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  return EXACT_WORDS + (h >>> (32 - HASHED_BITS));
}

/** True for a code unit no query trigram holds: JSON.stringify escapes it, or it separates parts. */
function unaskable(code: number): boolean {
  return code === QUOTE || code === BACKSLASH || code < PRINTABLE_LOW;
}

/** The index's spelling of a word: base 36, which FTS5's `ascii` tokenizer reads as one token. */
export function spell(word: number): string {
  return word.toString(36);
}

const DIGITS = Array.from('0123456789abcdefghijklmnopqrstuvwxyz', (digit) => digit.charCodeAt(0));
/** Where an entry's searchable parts start in its stored JSON: `id`, `seq` and `time` before it are not searched. */
const LEVEL_MEMBER = ',"level":';

/**
 * Gathers the distinct words of one piece's entries (`add` each stored JSON, then `take` the text of
 * the index row). One instance per writer: a piece is marked by a generation number in a table of
 * every word, so a word seen again within the piece costs one comparison, and the text is spelled
 * into bytes as the words come.
 */
export class PieceWords {
  /** An open-addressing set of the piece's words (small enough to stay in cache), valid where `#stamps` holds `#generation`. */
  #slots = new Int32Array(4096);
  #stamps = new Uint32Array(4096);
  /** 32 − log2 of the set's size: a word's first slot is the top bits of its hash. */
  #shift = 32 - 12;
  #count = 0;
  #generation = 1;
  #text = Buffer.allocUnsafe(4096);
  #length = 0;

  /** Adds the words of an entry, by its stored JSON. */
  add(json: string): void {
    if (!this.#addAscii(json)) this.#addText(searchableParts(JSON.parse(json) as LogEntry).join('\n'));
  }

  /** The index text of the words added since the last `take`, and a fresh piece. */
  take(): string {
    const text = this.#text.toString('latin1', 0, this.#length);
    this.#length = 0;
    this.#count = 0;
    this.#generation++;
    if (this.#generation === 0xffffffff) {
      this.#stamps.fill(0);
      this.#generation = 1;
    }
    return text;
  }

  /** Adds `word` to the piece's set (multiplicative hash, linear probing); false when it was there already. */
  #insert(word: number): boolean {
    const slots = this.#slots;
    const stamps = this.#stamps;
    const mask = slots.length - 1;
    const generation = this.#generation;
    let slot = Math.imul(word, 0x9e3779b1) >>> this.#shift;
    while (stamps[slot] === generation) {
      if (slots[slot] === word) return false;
      slot = (slot + 1) & mask;
    }
    stamps[slot] = generation;
    slots[slot] = word;
    return true;
  }

  /** Doubles the set, keeping the piece's words. */
  #grow(): void {
    const { length } = this.#slots;
    const words: number[] = [];
    for (let slot = 0; slot < length; slot++) if (this.#stamps[slot] === this.#generation) words.push(this.#slots[slot] as number);
    this.#slots = new Int32Array(length * 2);
    this.#stamps = new Uint32Array(length * 2);
    this.#shift--;
    for (const word of words) this.#insert(word);
  }

  /** Adds a word to the piece: to its set and, when new, to its text. */
  #note(word: number): void {
    if (this.#insert(word)) this.#write(word);
  }

  /** Writes a word new to the piece into its text. */
  #write(word: number): void {
    if (++this.#count * 2 > this.#slots.length) this.#grow();
    if (this.#length + 8 > this.#text.length) {
      const grown = Buffer.allocUnsafe(this.#text.length * 2);
      this.#text.copy(grown, 0, 0, this.#length);
      this.#text = grown;
    }
    const text = this.#text;
    let at = this.#length;
    if (at > 0) text[at++] = 0x20;
    // Base 36, most significant digit first (the word is < 36⁴).
    let divisor = 1;
    while (divisor * 36 <= word) divisor *= 36;
    for (let rest = word; divisor >= 1; divisor /= 36) {
      const digit = Math.floor(rest / divisor);
      text[at++] = DIGITS[digit] as number;
      rest -= digit * divisor;
    }
    this.#length = at;
  }

  /**
   * Adds the trigrams of an all-printable-ASCII JSON text, or returns false when it is not one (the
   * words noted before the first other character are trigrams of it: more candidates, never fewer).
   */
  #addAscii(json: string): boolean {
    const length = json.length;
    let a = -1;
    let b = -1;
    for (let i = Math.max(0, json.indexOf(LEVEL_MEMBER)); i < length; i++) {
      let c = json.charCodeAt(i);
      if (c < PRINTABLE_LOW || c > PRINTABLE_HIGH) return false;
      if (c === QUOTE || c === BACKSLASH) {
        a = -1;
        b = -1;
        continue;
      }
      if (c >= UPPER_A && c <= UPPER_Z) c += 32;
      if (a >= 0) this.#note(((a - PRINTABLE_LOW) * PRINTABLE + (b - PRINTABLE_LOW)) * PRINTABLE + (c - PRINTABLE_LOW));
      a = b;
      b = c;
    }
    return true;
  }

  /** Adds the trigrams of a text already lower-cased (searchable parts joined by newlines). */
  #addText(text: string): void {
    for (let i = 0; i + 3 <= text.length; i++) {
      const a = text.charCodeAt(i);
      const b = text.charCodeAt(i + 1);
      const c = text.charCodeAt(i + 2);
      if (unaskable(a) || unaskable(b) || unaskable(c)) continue;
      this.#note(wordOf(a, b, c));
    }
  }
}

/**
 * The words every entry matched by a term holds: those of the lower-cased term's trigrams without
 * an unaskable code unit or a surrogate without its other half in the term (JSON.stringify escapes a
 * lone surrogate, and one of the term's may be lone in the entry too), distinct, in order.
 */
export function queryWords(value: string): number[] {
  const text = value.toLowerCase();
  const askable = Array.from({ length: text.length }, (_, i) => !unaskable(text.charCodeAt(i)) && !loneSurrogate(text, i));
  const words: number[] = [];
  for (let i = 0; i + 3 <= text.length; i++) {
    if (!askable[i] || !askable[i + 1] || !askable[i + 2]) continue;
    const word = wordOf(text.charCodeAt(i), text.charCodeAt(i + 1), text.charCodeAt(i + 2));
    if (!words.includes(word)) words.push(word);
  }
  return words;
}

function loneSurrogate(text: string, i: number): boolean {
  const code = text.charCodeAt(i);
  if (code >= 0xd800 && code <= 0xdbff) {
    const next = text.charCodeAt(i + 1);
    return !(next >= 0xdc00 && next <= 0xdfff);
  }
  if (code >= 0xdc00 && code <= 0xdfff) {
    const previous = text.charCodeAt(i - 1);
    return !(previous >= 0xd800 && previous <= 0xdbff);
  }
  return false;
}
