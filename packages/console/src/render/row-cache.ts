import type { LogEntry } from '@livelog/protocol';
import type { TemplateResult } from 'lit';
import type { Highlighter } from './highlight.js';
import { renderRowContent } from './render-row.js';

/** Rows kept: many screens' worth, so scrolling back and forth reuses them, yet a bounded memory. */
const DEFAULT_LIMIT = 5000;

/**
 * Each line's rendered row content, built once per line and reused on every later render. Without
 * it every frame of scrolling, and every render new lines cause, formatted each visible line's time
 * and fields, parsed its ANSI runs and searched it for marks again.
 *
 * The content depends on the line, the UTC toggle and the highlighter (search and highlight terms),
 * so a change of either starts afresh. The theme is not part of it: colors are CSS custom properties.
 * Lines are kept in insertion order and the oldest is dropped past the limit, so a long scroll
 * through 200,000 lines does not keep 200,000 templates.
 */
export class RowCache {
  readonly #limit: number;
  #utc = false;
  #highlighter: Highlighter | undefined;
  #content = new Map<LogEntry, TemplateResult>();

  constructor(limit = DEFAULT_LIMIT) {
    this.#limit = limit;
  }

  /** How many lines' content is kept. */
  get size(): number {
    return this.#content.size;
  }

  /** The row content of `entry` as it shows with these settings: the same object while they hold. */
  content(entry: LogEntry, utc: boolean, highlighter: Highlighter): TemplateResult {
    if (utc !== this.#utc || highlighter !== this.#highlighter) {
      this.#utc = utc;
      this.#highlighter = highlighter;
      this.#content.clear();
    }
    let content = this.#content.get(entry);
    if (content === undefined) {
      content = renderRowContent(entry, utc, highlighter);
      if (this.#content.size >= this.#limit) {
        const oldest = this.#content.keys().next();
        if (!oldest.done) this.#content.delete(oldest.value);
      }
      this.#content.set(entry, content);
    }
    return content;
  }
}
