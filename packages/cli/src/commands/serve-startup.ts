import { createServer } from 'node:net';

/**
 * Signals that arrive while `serve` starts. Installed before the store is opened: without a handler a
 * SIGTERM then (a container stopped during a slow open, a Redis that does not answer) killed the
 * process with 143. Until it serves nothing has been accepted, and an open cannot be cut short (it may
 * wait on Redis), so a signal then exits 0 at once; the stores are crash-safe and the data
 * directory's lock is the system's, released with the process. Once serving, signals go to the
 * server's graceful shutdown.
 */
export class StartupSignals {
  #serving: ((signal: NodeJS.Signals) => void) | undefined;
  readonly #listener = (signal: NodeJS.Signals): void => {
    if (this.#serving !== undefined) {
      this.#serving(signal);
      return;
    }
    process.stderr.write(`livelog serve: ${signal} while starting: stopped before serving\n`);
    process.exit(0);
  };

  constructor() {
    process.on('SIGINT', this.#listener);
    process.on('SIGTERM', this.#listener);
  }

  /** From now on signals go to `stop`, the server's graceful shutdown. */
  serving(stop: (signal: NodeJS.Signals) => void): void {
    this.#serving = stop;
  }
}

/**
 * Why `host:port` cannot be listened on, or undefined when it can. Checked before the store is opened,
 * so a port in use fails at once without making the `--data` directory and its database first.
 * Port 0 (any free one) always can.
 */
export async function portProblem(host: string, port: number): Promise<string | undefined> {
  if (port === 0) return undefined;
  const probe = createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      probe.once('error', reject);
      probe.listen({ host, port, exclusive: true }, resolve);
    });
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') return `cannot listen on ${host}:${port}: the port is in use (choose another with --port)`;
    if (code === 'EACCES') return `cannot listen on ${host}:${port}: permission denied (ports below 1024 need privileges)`;
    if (code === 'EADDRNOTAVAIL') return `cannot listen on ${host}:${port}: no such address on this machine (--host)`;
    return `cannot listen on ${host}:${port}: ${(error as Error).message}`;
  } finally {
    await new Promise<void>((resolve) => probe.close(() => resolve()));
  }
}
