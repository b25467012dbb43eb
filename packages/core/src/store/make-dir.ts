import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * `mkdir -p`, without Node's `{ recursive: true }`: on a filesystem that answers ENOENT for a
 * directory it will not create (procfs, sysfs: `--data /proc/x`) Node's recursive mkdir retries the
 * parent forever and spins a core with no error. Here each level is made once, and the first refusal
 * is thrown as the system gave it. `mode` applies to `dir` itself when it is made here (less the
 * umask, as `mkdir -p -m`); missing parents get the default, and an existing `dir` is left as it is.
 */
export function makeDirSync(dir: string, mode?: number): void {
  try {
    mkdirSync(dir, mode);
    return;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      if (statSync(dir).isDirectory()) return;
      throw notADirectory(dir, error);
    }
    const parent = dirname(dir);
    if (code !== 'ENOENT' || parent === dir) throw error;
  }
  makeDirSync(dirname(dir));
  try {
    mkdirSync(dir, mode);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    if (!statSync(dir).isDirectory()) throw notADirectory(dir, error);
  }
}

/** `EEXIST: file already exists, mkdir …` said what it means: the data path is taken by a file. */
function notADirectory(dir: string, cause: unknown): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(
    `${dir} is a file, not a directory: the data path must be a directory (it is made if missing)`,
    {
      cause,
    },
  );
  error.code = 'EEXIST';
  return error;
}
