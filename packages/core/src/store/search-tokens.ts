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
const WORDS = EXACT_WORDS + 2 ** HASHED_BITS;
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

/**
 * True for a code unit no query trigram holds: the entry's JSON escapes it (JSON.stringify, and
 * encodeEntryBody for U+0085, U+2028 and U+2029), or it separates parts.
 */
function unaskable(code: number): boolean {
  return code === QUOTE || code === BACKSLASH || code < PRINTABLE_LOW || code === 0x85 || code === 0x2028 || code === 0x2029;
}

const BASE = 36;
const DIGITS = '0123456789abcdefghijklmnopqrstuvwxyz';
/** Every word is below 36⁴: four base-36 digits, two pairs of them. */
const PAIR = BASE * BASE;
/** The two digits of each number below 36², as bytes. */
const PAIRS = Uint8Array.from({ length: 2 * PAIR }, (_, i) =>
  DIGITS.charCodeAt(i % 2 === 0 ? Math.floor(i / 2 / BASE) : ((i / 2) | 0) % BASE),
);

/** The index's spelling of a word: four base-36 digits, which FTS5's `ascii` tokenizer reads as one token. */
export function spell(word: number): string {
  const high = Math.floor(word / PAIR);
  const low = word - high * PAIR;
  return String.fromCharCode(
    PAIRS[2 * high] as number,
    PAIRS[2 * high + 1] as number,
    PAIRS[2 * low] as number,
    PAIRS[2 * low + 1] as number,
  );
}

/** Where an entry's searchable parts start in its stored JSON: `id`, `seq` and `time` before it are not searched. */
const LEVEL_MEMBER = ',"level":';

/**
 * Gathers the distinct words of one piece's entries (`add` each stored JSON, then `take` the text of
 * the index row). One instance per writer: a word seen again within the piece costs one bit test,
 * and the text is spelled into bytes as the words come.
 */
export class PieceWords {
  /** One bit per word (173 KB: stays in cache), set for the words of the piece being gathered. */
  readonly #seen = new Uint8Array(Math.ceil(WORDS / 8));
  /** The piece's words so far, to clear their bits at `take`. */
  #words = new Int32Array(1024);
  #count = 0;
  #text = Buffer.allocUnsafe(4096);
  #length = 0;

  /** Adds the words of an entry, by its stored JSON. */
  add(json: string): void {
    if (!this.#addAscii(json)) this.#addText(searchableParts(JSON.parse(json) as LogEntry).join('\n'));
  }

  /** The index text of the words added since the last `take`, and a fresh piece. */
  take(): string {
    const text = this.#text.toString('latin1', 0, this.#length);
    for (let i = 0; i < this.#count; i++) {
      const word = this.#words[i] as number;
      this.#seen[word >>> 3] = 0;
    }
    this.#length = 0;
    this.#count = 0;
    return text;
  }

  /** Adds a word to the piece: to its set and, when new, to its text. */
  #note(word: number): void {
    const bit = 1 << (word & 7);
    const byte = this.#seen[word >>> 3] as number;
    if ((byte & bit) !== 0) return;
    this.#seen[word >>> 3] = byte | bit;
    this.#write(word);
  }

  /** Writes a word new to the piece into its text. */
  #write(word: number): void {
    if (this.#count === this.#words.length) {
      const grown = new Int32Array(this.#count * 2);
      grown.set(this.#words);
      this.#words = grown;
    }
    this.#words[this.#count++] = word;
    if (this.#length + 8 > this.#text.length) {
      const grown = Buffer.allocUnsafe(this.#text.length * 2);
      this.#text.copy(grown, 0, 0, this.#length);
      this.#text = grown;
    }
    const text = this.#text;
    let at = this.#length;
    if (at > 0) text[at++] = 0x20;
    const high = Math.floor(word / PAIR);
    const low = word - high * PAIR;
    text[at++] = PAIRS[2 * high] as number;
    text[at++] = PAIRS[2 * high + 1] as number;
    text[at++] = PAIRS[2 * low] as number;
    text[at++] = PAIRS[2 * low + 1] as number;
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
