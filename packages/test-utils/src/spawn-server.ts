import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { freePort } from './temp-dir.js';

/**
 * A `livelog serve` running as a child process, which tests may kill -9 and restart, and benchmarks
 * measure from outside. The one way tests and benchmarks start a server process.
 */
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
  /** `--log-level` of the server. Defaults to `info`. */
  logLevel?: string;
  /** Node flags before the CLI (`--expose-gc`, `--cpu-prof`, `--import <probe>`). Defaults to none. */
  nodeArgs?: string[];
  /** Opens an IPC channel to the process, for a probe module loaded with `--import`. Defaults to false. */
  ipc?: boolean;
  env?: Record<string, string>;
  /** How long to wait for the server to listen. Defaults to 45 s (a shared 2-core machine can be that slow; tests' hooks allow 60 s). */
  startTimeoutMs?: number;
}

/** Path of the built `livelog` CLI. */
export function cliPath(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('livelog/package.json')), 'dist', 'bin.js');
}

/**
 * The preload that ends a server when the test process that started it is gone (see
 * exit-with-parent.ts), built in dist/: found from src/ (tests run the sources) and from dist/ alike.
 */
const EXIT_WITH_PARENT = new URL('../dist/exit-with-parent.js', import.meta.url).href;

/** Starts `livelog serve` in a child process and waits until it listens. */
export async function spawnServer(options: SpawnServerOptions): Promise<SpawnedServer> {
  const port = options.port ?? (await freePort());
  const args = [
    'serve',
    '--port',
    String(port),
    '--data',
    options.dataDir,
    '--log-level',
    options.logLevel ?? 'info',
    ...(options.args ?? []),
  ];
  const child = spawn(process.execPath, ['--import', EXIT_WITH_PARENT, ...(options.nodeArgs ?? []), cliPath(), ...args], {
    env: { ...process.env, ...options.env },
    stdio: ['pipe', 'pipe', 'pipe', ...(options.ipc ? (['ipc'] as const) : [])],
  });
  let output = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const onData = (chunk: Buffer): void => {
    output += chunk.toString('utf8');
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  let exitedEarly: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  void exited.then((result) => {
    exitedEarly = result;
  });
  const basePath = basePathOf(options.args ?? []);
  const url = `http://127.0.0.1:${port}${basePath}`;
  const deadline = Date.now() + (options.startTimeoutMs ?? 45_000);
  // Ready means answering /readyz, whatever the log level says.
  for (;;) {
    if (exitedEarly !== undefined) {
      throw new Error(`livelog serve exited (${exitedEarly.code ?? exitedEarly.signal}) before listening:\n${output}`);
    }
    const ready = await fetch(`${url}/readyz`).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`livelog serve did not start in time:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
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

function basePathOf(args: readonly string[]): string {
  const index = args.indexOf('--base-path');
  const value = index >= 0 ? args[index + 1] : undefined;
  return value === undefined ? '' : `/${value.replace(/^\/+|\/+$/g, '')}`;
}
