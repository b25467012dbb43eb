import { mkdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * `mkdir -p`, without Node's `{ recursive: true }`, which retries forever (a spinning core, no error)
 * on a filesystem that answers ENOENT for a directory it will not create, such as procfs
 * (`--spool /proc/x`). Each level is made once; the first refusal is thrown as the system gave it.
 */
export async function makeDir(dir: string): Promise<void> {
  try {
    await mkdir(dir);
    return;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' && (await stat(dir)).isDirectory()) return;
    if (code !== 'ENOENT' || dirname(dir) === dir) throw error;
  }
  await makeDir(dirname(dir));
  try {
    await mkdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || !(await stat(dir)).isDirectory()) throw error;
  }
}
