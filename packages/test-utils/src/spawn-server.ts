import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { freePort } from './temp-dir.js';

/** A `livelog serve` running as a child process, which tests may kill -9 and restart. */
export interface SpawnedServer {
  url: string;
  port: number;
  child: ChildProcess;
  /** Everything the process wrote to stdout and stderr. */
  output(): string;
  /** Sends a signal and resolves when the process exited, with its code or signal. */
  kill(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface SpawnServerOptions {
  dataDir: string;
  /** Defaults to a free port. Pass the port of a killed server to bring it back on the same address. */
  port?: number;
  /** More `livelog serve` flags. */
  args?: string[];
  env?: Record<string, string>;
  /** How long to wait for the server to listen. Defaults to 20 s. */
  startTimeoutMs?: number;
}

/** Path of the built `livelog` CLI. */
export function cliPath(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('livelog/package.json')), 'dist', 'bin.js');
}

/** Starts `livelog serve` in a child process and waits until it listens. */
export async function spawnServer(options: SpawnServerOptions): Promise<SpawnedServer> {
  const port = options.port ?? (await freePort());
  const child = spawn(
    process.execPath,
    [cliPath(), 'serve', '--port', String(port), '--data', options.dataDir, '--log-level', 'info', ...(options.args ?? [])],
    { env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`livelog serve did not start in time:\n${output}`)), options.startTimeoutMs ?? 20_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      const match = /"url":"(http:\/\/[^"]+)"/.exec(output);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`livelog serve exited (${code ?? signal}) before listening:\n${output}`));
    });
  });
  return {
    url,
    port,
    child,
    output: () => output,
    async kill(signal = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
