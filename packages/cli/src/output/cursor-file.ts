import { readFileSync, renameSync, writeFileSync } from 'node:fs';

/**
 * `--cursor-file PATH` (journalctl's name): holds the id of the last entry printed, so a later run
 * continues exactly after it. Written atomically (temp file, rename), at most every `intervalMs`
 * while running and once more on exit.
 */
export class CursorFile {
  readonly #path: string;
  readonly #intervalMs: number;
  #written = '';
  #pending = '';
  #timer: NodeJS.Timeout | undefined;

  constructor(path: string, intervalMs = 250) {
    this.#path = path;
    this.#intervalMs = intervalMs;
  }

  /** The stored id, or undefined when the file is missing or empty. */
  read(): string | undefined {
    try {
      const text = readFileSync(this.#path, 'utf8').trim();
      this.#written = text;
      return text === '' ? undefined : text;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  /** Records `id`; the write happens within `intervalMs`. */
  update(id: string): void {
    this.#pending = id;
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      this.flush();
    }, this.#intervalMs);
  }

  /** Writes the latest id now. */
  flush(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#pending === '' || this.#pending === this.#written) return;
    const temp = `${this.#path}.${process.pid}.tmp`;
    writeFileSync(temp, `${this.#pending}\n`);
    renameSync(temp, this.#path);
    this.#written = this.#pending;
  }
}
