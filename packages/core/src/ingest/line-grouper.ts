import { type LevelName, levelNumber } from '@livelog/protocol';
import { recognizeLevel } from './recognize-level.js';
import {
  isBlank,
  isClosingBracket,
  isExceptionHeader,
  isFrame,
  isGoFunction,
  isGoroutineHeader,
  isGoSignal,
  isGutterLine,
  isIndented,
  isNodeCaret,
  isNodeExcerpt,
  isNodeVersion,
  isPythonChain,
  isPythonTraceback,
} from './trace-lines.js';

/** How large one grouped entry may grow. */
export interface LineGroupLimits {
  /** Most lines in one entry. Defaults to 1,000. */
  maxLines: number;
  /** Most UTF-8 bytes in one entry's message (the server's default message limit). Defaults to 64 KiB. */
  maxBytes: number;
}

export const DEFAULT_LINE_GROUP_LIMITS: Readonly<LineGroupLimits> = { maxLines: 1000, maxBytes: 64 * 1024 };

/**
 * Silence after which a streaming reader (`livelog run`, `livelog pipe`) hands over a group that
 * may still be growing: a trace is written in one go, so 100 ms without a line means it ended.
 */
export const LINE_GROUP_IDLE_MS = 100;

/** Options of a LineGrouper. */
export interface LineGrouperOptions extends Partial<LineGroupLimits> {
  /** Level of a line that states none (and opens no exception report). */
  defaultLevel: LevelName;
  /** Every entry gets this level; no level is recognised. Defaults to none. */
  forceLevel?: LevelName;
}

/**
 * Receives each entry: its message (the lines joined with `\n`), its level (from its first line;
 * undefined for a line that starts with `{`, which the caller may read as a JSON record), whether
 * any of its lines held invalid UTF-8, and the tag its first line was pushed with.
 */
export type LineGroupHandler = (msg: string, level: LevelName | undefined, invalidUtf8: boolean, tag: number) => void;

const WARN = levelNumber('warn');
const ERROR = levelNumber('error');

/**
 * Groups the lines of one text stream into entries: a stack trace or crash report becomes one entry
 * with the line that announced it, instead of one entry per frame. The rule (docs/reference/
 * multiline.md) in short: a line continues the entry before it when it is a stack frame (`at …`,
 * `File "…"`, `Caused by:`, `... N more`), or, after a first line at warn or above or one that opens
 * an exception report, when it is indented, is the exception or `Traceback` line right after a log
 * line, Python's final exception line or chain sentence, a Go goroutine dump, or a lone closing
 * bracket. A blank line inside such an entry is kept when the next line continues it.
 *
 * Lines are pushed one at a time; the group being built is handed over when a line that does not
 * continue it arrives, when it reaches its limits (then the rest continues in a new entry with the
 * same level), or on `flush()` (end of a body, or LINE_GROUP_IDLE_MS of silence in a stream).
 * Costs little on ordinary lines: one level recognition and one anchored test per line.
 */
export class LineGrouper {
  readonly #onGroup: LineGroupHandler;
  readonly #defaultLevel: LevelName;
  readonly #forceLevel: LevelName | undefined;
  readonly #maxLines: number;
  readonly #maxBytes: number;
  #head: string | undefined;
  #rest: string[] | undefined;
  #level: LevelName | undefined;
  #invalid = false;
  #tag = 0;
  #bytes = 0;
  /** The entry is an error report: indented lines and the other report shapes continue it. */
  #trace = false;
  /** The first line states error or fatal itself: the exception it reports may follow (logback, Python's logging). */
  #statesError = false;
  /** The first line is the `file:line` over Node's source excerpt: the excerpt's two lines follow. */
  #excerpt = false;
  #frames = false;
  /** Inside a Python traceback whose final exception line has not come yet. */
  #python = false;
  #go = false;
  #lastIndented = false;
  #lastChain = false;
  #blank: string | undefined;
  #blankInvalid = false;
  #blankTag = 0;

  constructor(onGroup: LineGroupHandler, options: LineGrouperOptions) {
    this.#onGroup = onGroup;
    this.#defaultLevel = options.defaultLevel;
    this.#forceLevel = options.forceLevel;
    this.#maxLines = options.maxLines ?? DEFAULT_LINE_GROUP_LIMITS.maxLines;
    this.#maxBytes = options.maxBytes ?? DEFAULT_LINE_GROUP_LIMITS.maxBytes;
  }

  /** True while a group (or a blank line inside one) waits for the line that decides its end. */
  get pending(): boolean {
    return this.#head !== undefined;
  }

  /** Adds the next line (without its line ending). */
  push(line: string, invalidUtf8: boolean, tag: number): void {
    if (this.#head === undefined) {
      this.#start(line, invalidUtf8, tag);
      return;
    }
    if (this.#blank !== undefined) {
      const blank = this.#blank;
      this.#blank = undefined;
      if (this.#continuesAfterBlank(line)) {
        this.#append(blank, this.#blankInvalid, this.#blankTag);
        this.#append(line, invalidUtf8, tag);
        return;
      }
      this.#emit();
      this.#onGroup(blank, this.#forceLevel ?? this.#defaultLevel, this.#blankInvalid, this.#blankTag);
      this.#start(line, invalidUtf8, tag);
      return;
    }
    if (this.#continues(line)) {
      this.#append(line, invalidUtf8, tag);
      return;
    }
    if (this.#trace && isBlank(line)) {
      this.#blank = line;
      this.#blankInvalid = invalidUtf8;
      this.#blankTag = tag;
      return;
    }
    this.#emit();
    this.#start(line, invalidUtf8, tag);
  }

  /** Hands over the group being built, and a blank line held after it as an entry of its own. */
  flush(): void {
    if (this.#head === undefined) return;
    const blank = this.#blank;
    this.#blank = undefined;
    this.#emit();
    if (blank !== undefined) this.#onGroup(blank, this.#forceLevel ?? this.#defaultLevel, this.#blankInvalid, this.#blankTag);
  }

  #start(line: string, invalidUtf8: boolean, tag: number): void {
    const first = line.charCodeAt(0);
    // A JSON record stands alone, and the caller reads its level from it.
    if (first === 0x7b /* { */) {
      this.#onGroup(line, undefined, invalidUtf8, tag);
      return;
    }
    if (isBlank(line)) {
      this.#onGroup(line, this.#forceLevel ?? this.#defaultLevel, invalidUtf8, tag);
      return;
    }
    const stated = this.#forceLevel === undefined ? recognizeLevel(line) : undefined;
    let level: LevelName = this.#forceLevel ?? stated ?? this.#defaultLevel;
    let header = false;
    if (stated === undefined) {
      header = isExceptionHeader(line);
      // An exception report states no level word, but it is one: `ValueError: x`, `panic: …`.
      if (header && this.#forceLevel === undefined && levelNumber(level) < ERROR) level = 'error';
    }
    this.#head = line;
    this.#rest = undefined;
    this.#level = level;
    this.#invalid = invalidUtf8;
    this.#tag = tag;
    // `Error: boom` states error, but it is the report itself: the next exception line is another one.
    this.#statesError = stated !== undefined && levelNumber(stated) >= ERROR && !isExceptionHeader(line);
    this.#excerpt = !header && levelNumber(level) >= WARN && isNodeExcerpt(line);
    this.#trace = header || levelNumber(level) >= WARN;
    this.#frames = false;
    this.#python = header && isPythonTraceback(line);
    this.#go = false;
    this.#lastIndented = false;
    this.#lastChain = false;
  }

  /** Whether `line` continues the open group; updates what the group has seen when it does. */
  #continues(line: string): boolean {
    if (isFrame(line)) {
      this.#frames = true;
      this.#trace = true;
      this.#lastIndented = isIndented(line);
      this.#lastChain = false;
      return true;
    }
    if (!this.#trace) return false;
    if (this.#excerpt && !this.#frames && (this.#rest === undefined || isNodeCaret(line)) && !isBlank(line)) {
      // The excerpt's source line is the program's text, whatever it looks like; the caret line follows.
      this.#lastIndented = false;
      return true;
    }
    if (isIndented(line)) {
      this.#lastIndented = true;
      this.#lastChain = false;
      return true;
    }
    if (isBlank(line)) return false;
    const lastIndented = this.#lastIndented;
    this.#lastIndented = false;
    if (this.#python && lastIndented) {
      // Python's final line, `ValueError: bad`, comes unindented after the frames.
      this.#python = false;
      this.#lastChain = false;
      return true;
    }
    if (isPythonChain(line)) {
      this.#lastChain = true;
      return true;
    }
    if (this.#reportStarts(line)) return true;
    if (isGoroutineHeader(line)) {
      this.#go = true;
      this.#frames = true;
      this.#lastChain = false;
      return true;
    }
    if ((this.#go && isGoFunction(line)) || (!this.#frames && isGoSignal(line)) || isClosingBracket(line) || isGutterLine(line)) {
      this.#lastChain = false;
      return true;
    }
    this.#lastIndented = lastIndented;
    return false;
  }

  /**
   * After a blank line, only what opens the next part of the same report continues the group: a
   * chain sentence, the traceback it announces, another goroutine, the exception a source excerpt
   * points at (Node), or a frame.
   */
  #continuesAfterBlank(line: string): boolean {
    if (isFrame(line)) return this.#continues(line);
    if (isPythonChain(line)) {
      this.#lastChain = true;
      return true;
    }
    if (isGoroutineHeader(line)) return this.#continues(line);
    if (this.#excerpt && this.#frames && isNodeVersion(line)) return true;
    return this.#reportStarts(line, true);
  }

  /**
   * The exception or traceback right after a log line that states error (logback, Python's
   * `logging.exception`), the exception under Node's source excerpt, or the traceback after a
   * chain sentence.
   */
  #reportStarts(line: string, afterBlank = false): boolean {
    const opening = !this.#frames && ((this.#statesError && this.#rest === undefined) || (this.#excerpt && afterBlank));
    if (isPythonTraceback(line)) {
      if (!opening && !this.#lastChain) return false;
      this.#python = true;
    } else if (!opening || !isExceptionHeader(line)) {
      return false;
    }
    this.#lastChain = false;
    this.#lastIndented = false;
    return true;
  }

  #append(line: string, invalidUtf8: boolean, tag: number): void {
    const bytes = Buffer.byteLength(line) + 1;
    if (this.#rest === undefined) this.#bytes = Buffer.byteLength(this.#head as string);
    if ((this.#rest?.length ?? 0) + 2 > this.#maxLines || this.#bytes + bytes > this.#maxBytes) {
      // Too large: the rest of the report goes on in a new entry with the same level and state.
      const level = this.#level;
      this.#emit();
      this.#head = line;
      this.#rest = undefined;
      this.#level = level;
      this.#invalid = invalidUtf8;
      this.#tag = tag;
      return;
    }
    this.#rest ??= [];
    this.#rest.push(line);
    this.#bytes += bytes;
    if (invalidUtf8) this.#invalid = true;
  }

  #emit(): void {
    const head = this.#head;
    if (head === undefined) return;
    const rest = this.#rest;
    this.#head = undefined;
    this.#rest = undefined;
    this.#onGroup(rest === undefined ? head : `${head}\n${rest.join('\n')}`, this.#level, this.#invalid, this.#tag);
  }
}
