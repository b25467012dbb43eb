import { readFileSync } from 'node:fs';
import type { LevelName } from '@livelog/protocol';
import { describe, expect, it } from 'vitest';
import { LineGrouper, type LineGrouperOptions } from './line-grouper.js';

interface Group {
  msg: string;
  level: LevelName | undefined;
  invalidUtf8: boolean;
  tag: number;
}

/** Pushes `lines` (tagged with their index) through one grouper and returns every entry. */
function group(lines: readonly string[], options: Partial<LineGrouperOptions> = {}): Group[] {
  const groups: Group[] = [];
  const grouper = new LineGrouper((msg, level, invalidUtf8, tag) => groups.push({ msg, level, invalidUtf8, tag }), {
    defaultLevel: 'info',
    ...options,
  });
  lines.forEach((line, index) => {
    grouper.push(line, false, index);
  });
  grouper.flush();
  return groups;
}

const corpus = (name: string): string[] => {
  const lines = readFileSync(new URL(`../../test/trace-corpus/${name}`, import.meta.url), 'utf8').split('\n');
  lines.pop();
  return lines;
};

/** Each entry as [its first line, its number of lines, its level]. */
const shape = (groups: Group[]) => groups.map((entry) => [entry.msg.split('\n')[0], entry.msg.split('\n').length, entry.level]);

describe('LineGrouper on real traces (test/trace-corpus, captured from the programs in sources/)', () => {
  it('Java printStackTrace: a logged exception with Suppressed, Caused by and "... 1 more"; an uncaught one in a thread', () => {
    const lines = corpus('java-printstacktrace.txt');
    const groups = group(lines, { defaultLevel: 'error' });
    expect(shape(groups)).toEqual([
      ['2024-05-01 12:00:00.123 INFO  [main] App - starting', 1, 'info'],
      ['2024-05-01 12:00:00.456 ERROR [main] App - load failed', 14, 'error'],
      ['2024-05-01 12:00:00.789 INFO  [main] App - still running', 1, 'info'],
      ['Exception in thread "worker-1" java.lang.UnsupportedOperationException: worker died', 3, 'error'],
      ['2024-05-01 12:00:01.000 INFO  [main] App - done', 1, 'info'],
    ]);
    // The lines are kept exactly, joined with \n.
    expect(groups.map((entry) => entry.msg).join('\n')).toBe(lines.join('\n'));
    expect(groups[1]?.msg).toContain('\nCaused by: java.lang.NumberFormatException: For input string: "x1"\n');
    expect(groups[1]?.msg.endsWith('\t... 1 more')).toBe(true);
  });

  it('Node: console.error of an error with properties and a [cause]; an uncaught error under its source excerpt', () => {
    const lines = corpus('node-errors.txt');
    const groups = group(lines, { defaultLevel: 'error' });
    expect(shape(groups)).toEqual([
      ['[INFO] starting', 1, 'info'],
      ['[ERROR] database unreachable', 17, 'error'],
      ['[INFO] retrying', 1, 'info'],
      ['<anonymous_script>:1', 11, 'error'],
    ]);
    expect(groups.map((entry) => entry.msg).join('\n')).toBe(lines.join('\n'));
    expect(groups[1]?.msg.split('\n').at(-1)).toBe('}');
    expect(groups[3]?.msg.split('\n').slice(-3)).toEqual([
      '    at process.processTimers (node:internal/timers:519:7)',
      '',
      'Node.js v20.20.2',
    ]);
  });

  it('Node: an unhandled rejection from async code, excerpt, blank line, frames and the version line', () => {
    expect(shape(group(corpus('node-rejection.txt'), { defaultLevel: 'error' }))).toEqual([
      ['file:///srv/app/node-rejection.mjs:4', 9, 'error'],
    ]);
  });

  it('Python: logging.exception of chained exceptions (both chain sentences), then an uncaught traceback', () => {
    const lines = corpus('python-errors.txt');
    const groups = group(lines, { defaultLevel: 'error' });
    expect(shape(groups)).toEqual([
      [lines[0], 1, 'warn'],
      [lines[1], 26, 'error'],
      [lines[27], 1, 'warn'],
      ['Traceback (most recent call last):', 17, 'error'],
    ]);
    expect(groups[1]?.msg.split('\n').at(-1)).toBe('RuntimeError: config value is broken');
    expect(groups[3]?.msg.split('\n').at(-1)).toBe('RuntimeError: config value is broken');
    // A bare traceback on stdout states no level: it is an error all the same.
    expect(group(lines.slice(28), { defaultLevel: 'info' }).map((entry) => entry.level)).toEqual(['error']);
  });

  it('Go: a panic in a goroutine with every goroutine dumped; a deadlock; "exit status 2" stays apart', () => {
    expect(shape(group(corpus('go-panic.txt'), { defaultLevel: 'error' }))).toEqual([
      [corpus('go-panic.txt')[0], 1, 'error'],
      ['panic: runtime error: index out of range [5] with length 3', 17, 'fatal'],
      ['exit status 2', 1, 'error'],
    ]);
    expect(shape(group(corpus('go-deadlock.txt'), { defaultLevel: 'error' }))).toEqual([
      ['fatal error: all goroutines are asleep - deadlock!', 5, 'fatal'],
      ['exit status 2', 1, 'error'],
    ]);
  });

  it('rustc: a diagnostic with its gutter lines is one entry; blank lines between diagnostics stay entries', () => {
    expect(shape(group(corpus('rust-error.txt'), { defaultLevel: 'error' }))).toEqual([
      ['error[E0308]: mismatched types', 7, 'error'],
      ['', 1, 'error'],
      ['error: aborting due to 1 previous error', 1, 'error'],
      ['', 1, 'error'],
      ['For more information about this error, try `rustc --explain E0308`.', 1, 'error'],
    ]);
  });

  it('ordinary indented output at info (an inspected object, a test list) stays one entry per line', () => {
    const lines = corpus('info-indented.txt');
    const groups = group(lines);
    expect(groups.map((entry) => entry.msg)).toEqual(lines);
    // A line that starts with `{` is left for the caller to read as a JSON record.
    expect(groups[1]).toMatchObject({ msg: '{', level: undefined });
  });
});

describe('LineGrouper rules', () => {
  it('frames continue even an info line; Caused by and "... N more" too', () => {
    const groups = group(['request failed', '\tat a.B.c(B.java:1)', 'Caused by: x.Y: z', '\t... 3 more', 'next']);
    expect(groups.map((entry) => entry.msg)).toEqual(['request failed\n\tat a.B.c(B.java:1)\nCaused by: x.Y: z\n\t... 3 more', 'next']);
  });

  it('two exception lines in a row are two entries, and a warning does not take the traceback after it', () => {
    expect(group(['Error: one', 'Error: two'], { defaultLevel: 'error' }).map((entry) => entry.msg)).toEqual(['Error: one', 'Error: two']);
    expect(
      group(['WARNING:root:slow', 'Traceback (most recent call last):', '  File "x.py", line 1', 'E']).map((entry) => entry.msg),
    ).toEqual(['WARNING:root:slow', 'Traceback (most recent call last):\n  File "x.py", line 1\nE']);
  });

  it('indented lines continue a line at warn or above, not one at info', () => {
    expect(group(['WARN: config', '  key a is deprecated', '  key b is unknown', 'ok']).map((entry) => entry.msg)).toEqual([
      'WARN: config\n  key a is deprecated\n  key b is unknown',
      'ok',
    ]);
    expect(group(['config', '  key a']).map((entry) => entry.msg)).toEqual(['config', '  key a']);
  });

  it('a blank line inside a trace is kept only when the trace goes on; flush hands over a held blank line as its own entry', () => {
    expect(group(['panic: x', '', 'goroutine 1 [running]:', 'main.main()', '', 'after']).map((entry) => entry.msg)).toEqual([
      'panic: x\n\ngoroutine 1 [running]:\nmain.main()',
      '',
      'after',
    ]);
    expect(group(['ERROR boom', '  detail', '']).map((entry) => [entry.msg, entry.tag])).toEqual([
      ['ERROR boom\n  detail', 0],
      ['', 2],
    ]);
  });

  it('a group never passes its line or byte limit: the rest of the trace goes on in another entry at the same level', () => {
    const frames = Array.from({ length: 7 }, (_, i) => `\tat a.B.m${i}(B.java:${i})`);
    const byLines = group(['ERROR failed', ...frames, 'next'], { maxLines: 3 });
    expect(byLines.map((entry) => entry.msg.split('\n').length)).toEqual([3, 3, 2, 1]);
    expect(byLines.map((entry) => entry.level)).toEqual(['error', 'error', 'error', 'info']);
    expect(byLines.slice(0, 3).flatMap((entry) => entry.msg.split('\n'))).toEqual(['ERROR failed', ...frames]);
    const byBytes = group(['ERROR failed', ...frames], { maxBytes: 60 });
    expect(byBytes.every((entry) => Buffer.byteLength(entry.msg) <= 60)).toBe(true);
    expect(byBytes.flatMap((entry) => entry.msg.split('\n'))).toEqual(['ERROR failed', ...frames]);
  });

  it('the first line gives the level and the tag; invalid UTF-8 in any line marks the entry; a forced level wins', () => {
    const entries: [string, LevelName | undefined, boolean, number][] = [];
    const grouper = new LineGrouper((...args) => entries.push(args), { defaultLevel: 'info' });
    grouper.push('[ERROR] failed', false, 10);
    grouper.push('    at f (/x.js:1:1) \ufffd', true, 11);
    grouper.push('INFO fine', false, 12);
    expect(grouper.pending).toBe(true);
    grouper.flush();
    expect(grouper.pending).toBe(false);
    expect(entries).toEqual([
      ['[ERROR] failed\n    at f (/x.js:1:1) \ufffd', 'error', true, 10],
      ['INFO fine', 'info', false, 12],
    ]);
    expect(group(['ValueError: x', '[ERROR] y'], { forceLevel: 'warn' }).map((entry) => entry.level)).toEqual(['warn', 'warn']);
  });
});
