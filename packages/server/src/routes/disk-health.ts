import { statfs } from 'node:fs/promises';

/** Error codes of a write the disk could not take: full, or failing. */
const DISK_FAILURE = /^(SQLITE_FULL|SQLITE_IOERR|ENOSPC|EIO|EDQUOT)/;
/** Of those, the ones that free space can cure. */
const OUT_OF_SPACE = /^(SQLITE_FULL|ENOSPC|EDQUOT)/;

/** What `/readyz` says of the disk. */
export interface DiskState {
  state: 'ok' | 'full' | 'low';
  reason?: string;
}

/**
 * Whether the store's disk can take writes, for `/readyz`: not when the last commit failed because
 * the disk is full or failing, nor when free space in the data directory is below a threshold. A
 * store that cannot write is still reachable, so its own readiness check says nothing of this.
 *
 * A failed commit is forgotten when a commit succeeds, or, for a full disk, once free space is back
 * above the threshold: a load balancer that stopped sending work on the 503 would otherwise never
 * let the commit through that proves the disk is fine again.
 */
export class DiskHealth {
  readonly #dir: string | undefined;
  readonly #minFreeBytes: number;
  #failure: { reason: string; curedBySpace: boolean } | undefined;

  /** `dir`: the data directory to watch, when the store keeps its data in one. */
  constructor(options: { dir?: string | undefined; minFreeBytes: number }) {
    this.#dir = options.dir;
    this.#minFreeBytes = options.minFreeBytes;
  }

  /** A batch was committed: the disk takes writes. */
  committed(): void {
    this.#failure = undefined;
  }

  /** An append failed; remembered when the disk is what failed. */
  failed(error: unknown): void {
    const code = diskCode(error);
    if (code !== undefined) {
      this.#failure = { reason: `the last commit failed: ${code} (${messageOf(error)})`, curedBySpace: OUT_OF_SPACE.test(code) };
    }
  }

  async check(): Promise<DiskState> {
    const free = await this.#freeBytes();
    const failure = this.#failure;
    if (failure !== undefined) {
      if (!failure.curedBySpace || free === undefined || free < this.#minFreeBytes) return { state: 'full', reason: failure.reason };
      this.#failure = undefined;
    }
    if (free === undefined || free >= this.#minFreeBytes) return { state: 'ok' };
    return { state: 'low', reason: `${free} bytes free in ${this.#dir}, below --min-free-space (${this.#minFreeBytes})` };
  }

  /** Free bytes in the data directory; undefined when not watched (no directory, or a threshold of 0). */
  async #freeBytes(): Promise<number | undefined> {
    if (this.#dir === undefined || this.#minFreeBytes <= 0) return undefined;
    const stats = await statfs(this.#dir).catch(() => undefined);
    return stats === undefined ? undefined : stats.bavail * stats.bsize;
  }
}

/** The disk error code of `error` or of one of its causes. */
function diskCode(error: unknown): string | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && DISK_FAILURE.test(code)) return code;
  }
  return undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
