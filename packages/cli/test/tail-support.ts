import { type ChildProcess, spawn } from 'node:child_process';
import { cliPath, waitFor } from '@livelog/test-utils';

/** A `livelog` child process with its output collected. */
export interface CliRun {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Non-empty stdout lines so far. */
  lines(): string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Waits until stdout holds at least `count` lines. */
  waitLines(count: number, timeoutMs?: number): Promise<string[]>;
  /** Sends SIGINT (Ctrl-C) and resolves with the exit. */
  interrupt(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs the built `livelog` CLI with `args`. */
export function runCli(args: readonly string[], env: Record<string, string | undefined> = {}): CliRun {
  const child = spawn(process.execPath, [cliPath(), ...args], {
    env: { ...process.env, NO_COLOR: undefined, FORCE_COLOR: undefined, LIVELOG_TOKEN: undefined, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  // `close`, not `exit`: at `exit` the pipes may still hold output the assertions would miss.
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  const lines = (): string[] => stdout.split('\n').filter((line) => line !== '');
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    lines,
    exited,
    async waitLines(count, timeoutMs = 15_000) {
      await waitFor(() => lines().length >= count, {
        what: `${count} lines of output (have ${lines().length}; stderr: ${stderr.slice(-300)})`,
        timeoutMs,
      });
      return lines();
    },
    async interrupt() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
      return exited;
    },
  };
}
