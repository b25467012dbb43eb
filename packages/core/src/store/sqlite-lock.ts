import { join } from 'node:path';
import Database from 'better-sqlite3';
import { LivelogError } from '../errors.js';

/**
 * Holds `livelog.lock` in SQLite's exclusive locking mode for the life of the process: a second
 * process on the same directory fails here, and the operating system releases the lock when this
 * process dies, even by kill -9.
 */
export function takeLock(dir: string): Database.Database {
  const lock = new Database(join(dir, 'livelog.lock'), { timeout: 1000 });
  try {
    lock.pragma('locking_mode = EXCLUSIVE');
    // Exclusive mode keeps the lock after the first write transaction, until the connection closes.
    lock.exec('CREATE TABLE IF NOT EXISTS holder (pid INTEGER); DELETE FROM holder;');
    lock.prepare('INSERT INTO holder (pid) VALUES (?)').run(process.pid);
    return lock;
  } catch (error) {
    lock.close();
    if (error instanceof Error && /locked|busy/i.test(error.message)) {
      throw new LivelogError('LIVELOG_ERR_STORE_LOCKED', `another process is using ${dir}; stop it or choose another data directory`, {
        cause: error,
      });
    }
    throw error;
  }
}
