const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const COMMA = 0x2c;

/**
 * Walks JSON text once without building anything, so that a hostile body costs one linear pass and
 * no memory before it is refused (JSON.parse of 8 million nested `[` takes seconds and gigabytes).
 * Returns the index where nesting first goes deeper than `maxDepth` (a flat object or array is depth
 * 1), or -1. When the text is a top-level array, calls `onElement` with the bounds of each element,
 * whitespace trimmed; a throw from it ends the walk. Strings are skipped whole, escapes respected, so
 * brackets and commas inside them do not count. Invalid JSON is not reported here: JSON.parse does
 * that afterwards, on text now known to be shallow.
 */
export function scanJson(text: string, maxDepth: number, onElement?: (start: number, end: number) => void): number {
  const length = text.length;
  let depth = 0;
  let topArray = false;
  let elementStart = 0;
  for (let i = 0; i < length; i++) {
    const char = text.charCodeAt(i);
    if (char === QUOTE) {
      i = closingQuote(text, i + 1);
    } else if (char === OPEN_ARRAY || char === OPEN_OBJECT) {
      depth++;
      if (depth > maxDepth) return i;
      if (depth === 1 && char === OPEN_ARRAY) {
        topArray = true;
        elementStart = i + 1;
      }
    } else if (char === CLOSE_ARRAY || char === CLOSE_OBJECT) {
      if (depth === 1 && topArray) element(text, elementStart, i, onElement);
      depth--;
    } else if (char === COMMA && depth === 1 && topArray) {
      element(text, elementStart, i, onElement);
      elementStart = i + 1;
    }
  }
  return -1;
}

/** The index of the quote that closes a string whose content starts at `from`; the text's length if none. */
function closingQuote(text: string, from: number): number {
  let quote = text.indexOf('"', from);
  while (quote !== -1) {
    let backslashes = 0;
    while (text.charCodeAt(quote - 1 - backslashes) === BACKSLASH) backslashes++;
    // An odd run of backslashes escapes the quote; an even one is escaped backslashes.
    if (backslashes % 2 === 0) return quote;
    quote = text.indexOf('"', quote + 1);
  }
  return text.length;
}

function element(text: string, start: number, end: number, onElement: ((start: number, end: number) => void) | undefined): void {
  if (onElement === undefined) return;
  let first = start;
  let last = end;
  while (first < last && isSpace(text.charCodeAt(first))) first++;
  while (last > first && isSpace(text.charCodeAt(last - 1))) last--;
  // `[]` has no element; `[1,]` is invalid JSON, left for JSON.parse to report.
  if (first < last) onElement(first, last);
}

function isSpace(char: number): boolean {
  return char === 0x20 || char === 0x0a || char === 0x0d || char === 0x09;
}
