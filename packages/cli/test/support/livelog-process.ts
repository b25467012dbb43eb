import { type ChildProcess, spawn } from 'node:child_process';
import type { BasicLogStore } from '@livelog/core';
import type { LogEntry } from '@livelog/protocol';
import { cliPath } from '@livelog/test-utils';

/** A `livelog` CLI process with everything it wrote. */
export interface LivelogProcess {
  child: ChildProcess;
  stdout(): Buffer;
  stderr(): string;
  /** Resolves once the process exited and its output streams closed. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `node dist/bin.js <args>`; `stdin` is a file descriptor, 'ignore', or 'pipe'. */
export function livelog(
  args: string[],
  options: { stdin?: number | 'ignore' | 'pipe'; env?: Record<string, string> } = {},
): LivelogProcess {
  const child = spawn(process.execPath, [cliPath(), ...args], {
    stdio: [options.stdin ?? 'ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...options.env },
  });
  const out: Buffer[] = [];
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => out.push(chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  return { child, stdout: () => Buffer.concat(out), stderr: () => err, exited };
}

/** Every entry of a store, oldest first, read in large pages straight from the store. */
export async function storedEntries(store: BasicLogStore): Promise<LogEntry[]> {
  const entries: LogEntry[] = [];
  let after = 0;
  for (;;) {
    const page = await store.readAfter(after, 50_000);
    if (page.length === 0) return entries;
    for (const stored of page) entries.push(JSON.parse(stored.json) as LogEntry);
    after = page[page.length - 1]?.seq ?? after;
  }
}

/** `node -e <code>` as a command line for `livelog run`. */
export function nodeScript(code: string): string[] {
  return ['--', process.execPath, '-e', code];
}
