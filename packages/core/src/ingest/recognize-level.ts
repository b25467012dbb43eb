import type { LevelName } from '@livelog/protocol';
import { parseLevelValue } from './level-names.js';

const ANSI_ESCAPE = /\x1b\[[0-9;:?]*[ -/]*[@-~]/g;
const WORDS = 'trace|debug|dbg|verbose|info|notice|warn|warning|error|err|fatal|crit|critical|panic|emerg';
/** `level=warn`, `level: "error"`, `lvl=30`, `severity=ERROR` anywhere in the line. */
const KEY_VALUE = /\b(?:level|lvl|severity|loglevel)\s*[=:]\s*["']?([A-Za-z]+|[0-9]{1,3})\b/i;
/** `[ERROR]`, `[ warn ]`, `<info>`, `(debug)`: a bracketed level word anywhere. */
const BRACKETED = new RegExp(`[[<(]\\s*(${WORDS})\\s*[\\]>)]`, 'i');
/**
 * A level word at the start of the line, optionally after a timestamp or date, followed by `:`, `|`,
 * `]`, or a space: `WARN: disk`, `ERROR something`, `2024-05-01 12:00:00.123 INFO listening`,
 * `WARNING:root:msg` (Python).
 */
const LEADING = new RegExp(`^\\s*(?:[0-9TZ:.,/+\\-]+\\s+){0,3}(${WORDS})(?=[:|\\]\\s]|$)`, 'i');
/** glog / klog: `E0102 15:04:05.000000 ...`. */
const GLOG = /^([IWEF])\d{4} \d\d:\d\d:\d\d/;
const GLOG_LEVELS: Record<string, LevelName> = { I: 'info', W: 'warn', E: 'error', F: 'fatal' };

/**
 * The level a plain text line states in one of the common shapes, or undefined when it states none.
 * ANSI colour codes are ignored for recognition; the line itself is never changed.
 */
export function recognizeLevel(line: string): LevelName | undefined {
  const text = line.length > 512 ? line.slice(0, 512) : line;
  const plain = text.includes('\x1b') ? text.replace(ANSI_ESCAPE, '') : text;
  const glog = GLOG.exec(plain);
  if (glog?.[1] !== undefined) return GLOG_LEVELS[glog[1]];
  for (const pattern of [LEADING, BRACKETED, KEY_VALUE]) {
    const match = pattern.exec(plain);
    const level = match?.[1] === undefined ? undefined : parseLevelValue(match[1]);
    if (level !== undefined) return level;
  }
  return undefined;
}
