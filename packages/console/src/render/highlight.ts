import { escapeRegExp } from '../state/line-filter.js';

/** A piece of text and the highlight it carries: 0 for the search, 1.. for highlight terms, undefined for none. */
export interface HighlightPiece {
  text: string;
  mark?: number;
}

/** Patterns to color, most important first. */
export type Highlighter = readonly RegExp[];

/** How many distinct colors highlight terms cycle through (`--ll-mark-1` … `--ll-mark-5`). */
export const MARK_COLORS = 5;

/**
 * Builds the highlighter from the search pattern (when it filters by text) and the highlight terms,
 * which color matches without filtering (comma-separated, case-insensitive, plain text).
 */
export function createHighlighter(search: RegExp | undefined, terms: string): Highlighter {
  const patterns: RegExp[] = [];
  // The search keeps its own flags (`u` when it compiled with it, see compileUserRegExp), plus `g`.
  patterns.push(search ? new RegExp(search.source, withFlags(search.flags, 'gi')) : /$^/g);
  for (const term of parseTerms(terms)) patterns.push(new RegExp(escapeRegExp(term), 'giu'));
  return patterns;
}

function withFlags(flags: string, more: string): string {
  return [...more].reduce((all, flag) => (all.includes(flag) ? all : all + flag), flags);
}

/** Highlight terms as typed: comma-separated, trimmed, empty ones dropped. */
export function parseTerms(terms: string): string[] {
  return terms
    .split(',')
    .map((term) => term.trim())
    .filter((term) => term !== '');
}

/**
 * Cuts `text` into pieces by the highlighter's matches. Where matches overlap, the one that starts
 * first wins, then the more important pattern.
 */
export function splitHighlights(text: string, highlighter: Highlighter): HighlightPiece[] {
  const spans: { start: number; end: number; mark: number }[] = [];
  highlighter.forEach((pattern, index) => {
    // matchAll steps over an empty match by a whole code point for `u` patterns; stepping one code
    // unit would land inside a surrogate pair, where a `u` pattern goes back and matches forever.
    for (const match of text.matchAll(pattern)) {
      if (match[0] === '') continue;
      spans.push({ start: match.index, end: match.index + match[0].length, mark: index === 0 ? 0 : ((index - 1) % MARK_COLORS) + 1 });
    }
  });
  if (spans.length === 0) return [{ text }];
  spans.sort((a, b) => a.start - b.start || a.mark - b.mark);
  const pieces: HighlightPiece[] = [];
  let at = 0;
  for (const span of spans) {
    if (span.start < at) continue;
    if (span.start > at) pieces.push({ text: text.slice(at, span.start) });
    pieces.push({ text: text.slice(span.start, span.end), mark: span.mark });
    at = span.end;
  }
  if (at < text.length) pieces.push({ text: text.slice(at) });
  return pieces;
}
