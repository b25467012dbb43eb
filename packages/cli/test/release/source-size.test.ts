import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './workspace.js';

/**
 * No source file under packages/*\/src grows past ~400 lines unless it says why at its top (STYLE.md
 * §14, issue 9 Tests). The reason is a line comment starting `// Long file:` within the first 10 lines.
 */
const MAX_LINES = 400;
const REASON = /^\/\/ Long file: \S/m;

/** The problem with one file's text, or undefined when it is fine. */
export function sizeProblem(text: string): string | undefined {
  const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
  if (lines <= MAX_LINES) return undefined;
  const head = text.split('\n').slice(0, 10).join('\n');
  return REASON.test(head) ? undefined : `${lines} lines and no "// Long file: <why>" comment at its top`;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|tsx|js|mjs)$/.test(name) ? [path] : [];
  });
}

describe('source file size', () => {
  it('catches a long file without a reason and accepts one with it (the checker itself)', () => {
    const long = `${'const x = 1;\n'.repeat(MAX_LINES + 1)}`;
    expect(sizeProblem(long)).toMatch(/^401 lines/);
    expect(sizeProblem(`// Long file: one state machine; split, its transitions would be read across files.\n${long}`)).toBeUndefined();
    expect(sizeProblem('const x = 1;\n'.repeat(MAX_LINES))).toBeUndefined();
    // A reason buried below the top does not count.
    expect(sizeProblem(`${'\n'.repeat(20)}// Long file: too late\n${long}`)).toBeDefined();
  });

  it(`keeps every file under packages/*/src at ${MAX_LINES} lines or says why`, () => {
    const packages = join(REPO_ROOT, 'packages');
    const problems = readdirSync(packages)
      .map((name) => join(packages, name, 'src'))
      .filter((src) => statSync(src, { throwIfNoEntry: false })?.isDirectory() === true)
      .flatMap(sourceFiles)
      .map((file) => ({ file: relative(REPO_ROOT, file), problem: sizeProblem(readFileSync(file, 'utf8')) }))
      .filter(({ problem }) => problem !== undefined);
    expect(problems).toEqual([]);
  });
});
