import Anser from 'anser';

/** A run of text with one SGR style. Rendered as a text node inside a styled span, never as HTML. */
export interface AnsiSegment {
  text: string;
  /** A CSS color: `var(--ll-ansi-N)` for the 16 themable colors, else `rgb(…)`. */
  fg?: string;
  bg?: string;
  bold?: true;
  dim?: true;
  italic?: true;
  underline?: true;
  strike?: true;
}

/**
 * anser's RGB for the 16 standard colors, spelled exactly as anser spells them (its white, SGR 37,
 * has no spaces; its bright white, 97, has). They are mapped to CSS custom properties so a light theme
 * can darken yellow-on-white and the like; 256-color and truecolor values stay as the program chose.
 */
const BASIC = [
  '0, 0, 0',
  '187, 0, 0',
  '0, 187, 0',
  '187, 187, 0',
  '0, 0, 187',
  '187, 0, 187',
  '0, 187, 187',
  '255,255,255',
  '85, 85, 85',
  '255, 85, 85',
  '0, 255, 0',
  '255, 255, 85',
  '85, 85, 255',
  '255, 85, 255',
  '85, 255, 255',
  '255, 255, 255',
];
const BASIC_INDEX = new Map(BASIC.map((rgb, index) => [rgb, index]));

function cssColor(rgb: string | null | undefined): string | undefined {
  if (!rgb) return undefined;
  const index = BASIC_INDEX.get(rgb);
  return index === undefined ? `rgb(${rgb})` : `var(--ll-ansi-${index})`;
}

const cache = new Map<string, readonly AnsiSegment[]>();
const CACHE_LIMIT = 2000;

/** True when `text` holds an escape character, so it may carry SGR sequences. */
export function hasAnsi(text: string): boolean {
  return text.includes('\u001b');
}

/**
 * Splits `text` into styled runs by its ANSI SGR sequences (16/256/truecolor, bold, dim, italic,
 * underline, strikethrough, inverse). Other escape sequences are dropped; text is never interpreted
 * as markup. Results are cached because the virtual list re-renders the same rows while scrolling.
 */
export function ansiSegments(text: string): readonly AnsiSegment[] {
  if (!hasAnsi(text)) return [{ text }];
  const cached = cache.get(text);
  if (cached !== undefined) return cached;
  const segments: AnsiSegment[] = [];
  for (const part of Anser.ansiToJson(text, { json: true, remove_empty: true })) {
    if (part.content === '') continue;
    let fg = cssColor(part.fg_truecolor ?? part.fg);
    let bg = cssColor(part.bg_truecolor ?? part.bg);
    if ((part as { isInverted?: boolean }).isInverted) {
      [fg, bg] = [bg ?? 'var(--ll-bg)', fg ?? 'var(--ll-fg)'];
    }
    const segment: AnsiSegment = { text: part.content };
    if (fg !== undefined) segment.fg = fg;
    if (bg !== undefined) segment.bg = bg;
    for (const decoration of part.decorations) {
      if (decoration === 'bold') segment.bold = true;
      else if (decoration === 'dim') segment.dim = true;
      else if (decoration === 'italic') segment.italic = true;
      else if (decoration === 'underline') segment.underline = true;
      else if (decoration === 'strikethrough') segment.strike = true;
    }
    segments.push(segment);
  }
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(text, segments);
  return segments;
}

/** The text with every escape sequence removed: what copy, search and download of plain text use. */
export function stripAnsi(text: string): string {
  if (!hasAnsi(text)) return text;
  return ansiSegments(text)
    .map((segment) => segment.text)
    .join('');
}
