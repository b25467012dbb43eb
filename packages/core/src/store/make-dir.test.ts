import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
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

  // Regression: the data directory was made with the default mode (0755 under umask 022), so every
  // user of the machine could read every stored line with sqlite3, whatever the server's tokens.
  it('makes the SQLite data directory for its user alone, missing parents and existing directories as they were', () => {
    const root = mkdtempSync(join(tmpdir(), 'livelog-make-dir-'));
    try {
      const existing = join(root, 'kept');
      mkdirSync(existing, 0o755);
      // In a child under umask 022, the usual one, whatever the umask this suite runs under.
      const url = new URL('../../dist/store/sqlite-database.js', import.meta.url).pathname;
      const script = `import(${JSON.stringify(url)}).then(async ({ SqliteDatabase }) => {
        for (const dir of process.argv.slice(1)) { const db = new SqliteDatabase({ dir }); await db.open(); await db.close(); }
      })`;
      const dirs = [join(root, 'parent', 'data'), existing];
      const child = spawnSync('sh', ['-c', 'umask 022 && exec "$0" -e "$1" "$2" "$3"', process.execPath, script, ...dirs], {
        timeout: 30_000,
        encoding: 'utf8',
      });
      expect(child.stderr).toBe('');
      expect(child.status).toBe(0);
      const mode = (path: string) => statSync(path).mode & 0o777;
      expect(mode(join(root, 'parent', 'data'))).toBe(0o700);
      expect(mode(join(root, 'parent'))).toBe(0o755);
      expect(mode(existing)).toBe(0o755);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
