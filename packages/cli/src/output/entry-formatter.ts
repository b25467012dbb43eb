import type { LevelName, LogEntry } from '@livelog/protocol';
import { createColors } from 'picocolors';
import { terminalJson, terminalText } from './terminal-text.js';

/** `-o` values: `pretty` for people, `raw` for the message alone, `json` for one entry per line (NDJSON). */
export type OutputFormat = 'pretty' | 'raw' | 'json';

/** How entries are printed. */
export interface EntryFormatOptions {
  output: OutputFormat;
  /** Prefix each line with the entry's time (ISO 8601, UTC). */
  timestamps: boolean;
  color: boolean;
  /** Matches shown highlighted (colour only). */
  highlight: readonly RegExp[];
}

type Paint = (text: string) => string;

/**
 * One line per entry (a grouped trace keeps its line feeds), without the trailing newline. Level
 * colours are pino-pretty's (trace grey, debug blue, info green, warn yellow, error red, fatal on
 * red) and the message is cyan, as there. What the producer wrote cannot drive the terminal:
 * escape sequences and control characters are stripped from messages and sources, colour codes
 * kept only when colour is on (terminalText); JSON output escapes the few characters JSON leaves raw.
 */
export function createEntryFormatter(options: EntryFormatOptions): (entry: LogEntry) => string {
  if (options.output === 'json') return (entry) => terminalJson(JSON.stringify(entry));
  const c = createColors(options.color);
  const levelPaint: Record<LevelName, Paint> = {
    trace: c.gray,
    debug: c.blue,
    info: c.green,
    warn: c.yellow,
    error: c.red,
    fatal: c.bgRed,
  };
  const strong: Paint = (text) => c.inverse(c.bold(text));
  const highlight = options.color && options.highlight.length > 0 ? highlighter(options.highlight, strong) : undefined;
  const time = (entry: LogEntry): string => new Date(entry.time).toISOString();
  if (options.output === 'raw') {
    return (entry) => {
      const text = terminalText(entry.msg, options.color);
      const msg = highlight ? highlight(text, (part) => part) : text;
      return options.timestamps ? `${time(entry)} ${msg}` : msg;
    };
  }
  return (entry) => {
    const paint = levelPaint[entry.level] ?? c.white;
    const text = terminalText(entry.msg, options.color);
    let line = options.timestamps ? `[${time(entry)}] ` : '';
    line += `${paint(entry.level.toUpperCase())} (${terminalText(entry.source, false)}): `;
    line += highlight ? highlight(text, c.cyan) : c.cyan(text);
    if (entry.fields !== undefined && Object.keys(entry.fields).length > 0)
      line += ` ${c.gray(terminalJson(JSON.stringify(entry.fields)))}`;
    return line;
  };
}

/** Paints every match of any pattern with `paint` (overlapping matches as one) and the text between with `rest`. */
function highlighter(patterns: readonly RegExp[], paint: Paint): (text: string, rest: Paint) => string {
  // Each pattern runs as it was compiled: one RegExp OR-ing them all would need one `u` flag for all,
  // and compileUserRegExp gives `u` to one pattern (`\p{L}`, an emoji) and not to another (`\:`), and
  // case-insensitivity to a search's terms only. Its own group numbers stay right for a `\1` too.
  const global = patterns.map((pattern) => (pattern.global ? pattern : new RegExp(pattern.source, `${pattern.flags}g`)));
  return (text, rest) => {
    const spans: [number, number][] = [];
    for (const pattern of global) {
      for (const match of text.matchAll(pattern)) if (match[0] !== '') spans.push([match.index, match.index + match[0].length]);
    }
    spans.sort((a, b) => a[0] - b[0]);
    let out = '';
    let last = 0;
    for (const [at, end] of spans) {
      if (end <= last) continue;
      if (at >= last) {
        if (at > last) out += rest(text.slice(last, at));
        out += paint(text.slice(at, end));
      } else {
        // Overlaps the span painted last: paint on to its end.
        out += paint(text.slice(last, end));
      }
      last = end;
    }
    return last < text.length ? out + rest(text.slice(last)) : out;
  };
}
