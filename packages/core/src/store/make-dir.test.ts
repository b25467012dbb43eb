import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeDirSync } from './make-dir.js';

describe('makeDirSync', () => {
  it('makes every missing level, accepts an existing directory, and refuses a file in the way', () => {
    const root = mkdtempSync(join(tmpdir(), 'livelog-make-dir-'));
    try {
      const deep = join(root, 'a', 'b', 'c');
      makeDirSync(deep);
      expect(existsSync(deep)).toBe(true);
      makeDirSync(deep);
      writeFileSync(join(root, 'file'), '');
      expect(() => makeDirSync(join(root, 'file'))).toThrow(
        `${join(root, 'file')} is a file, not a directory: the data path must be a directory`,
      );
      expect(() => makeDirSync(join(root, 'file', 'x'))).toThrow(/ENOTDIR/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it.runIf(existsSync('/proc/self'))('throws at once where the filesystem will not make it (procfs), where Node loops forever', () => {
    // In a child with a deadline: the fault this guards against is a process that never returns.
    // The built module (the suite builds first): Node 20 cannot run TypeScript.
    const url = new URL('../../dist/store/make-dir.js', import.meta.url).pathname;
    const script = `import(${JSON.stringify(url)}).then(({ makeDirSync }) => { try { makeDirSync('/proc/livelog-nope/x'); } catch (error) { console.log(error.code); } })`;
    const child = spawnSync(process.execPath, ['-e', script], { timeout: 10_000, encoding: 'utf8' });
    expect(child.error).toBeUndefined();
    expect(child.stdout.trim()).toBe('ENOENT');
  });
});
