import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Methods a child process offers: one argument, one (possibly async) result. */
export type RpcApi = { [method: string]: (arg: never) => unknown };

interface RpcCall {
  kind: 'call';
  id: number;
  method: string;
  arg: unknown;
}

interface RpcReply {
  kind: 'reply';
  id: number;
  ok: boolean;
  value?: unknown;
  error?: string;
}

interface RpcReady {
  kind: 'ready';
  value: unknown;
}

/**
 * A bench child process (server, ceiling, readers) driven over its IPC channel. The channel uses
 * the structured-clone serialisation so that typed arrays (latency samples) cross it cheaply.
 */
export class Child<Api extends RpcApi, Ready = undefined> {
  readonly process: ChildProcess;
  readonly ready: Promise<Ready>;
  readonly #pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  #nextId = 1;
  #exited = false;
  readonly #exit: Promise<void>;
  #stderr = '';

  /**
   * Forks `script` (beside this module), or drives a process already started with an IPC channel (a
   * `livelog serve` with a probe loaded by `--import`; it announces nothing, so `ready` never resolves).
   */
  constructor(script: string | ChildProcess, options: { execArgv?: string[]; env?: NodeJS.ProcessEnv; name: string }) {
    this.process =
      typeof script === 'string'
        ? fork(fileURLToPath(new URL(script, import.meta.url)), [], {
            execArgv: options.execArgv ?? [],
            env: { ...process.env, ...options.env },
            serialization: 'advanced',
            stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
          })
        : script;
    this.process.stderr?.on('data', (chunk: Buffer) => {
      this.#stderr = (this.#stderr + chunk.toString('utf8')).slice(-8000);
      process.stderr.write(`[${options.name}] ${chunk.toString('utf8')}`);
    });
    this.#exit = new Promise((resolve) => {
      this.process.once('exit', (code, signal) => {
        this.#exited = true;
        const error = new Error(`${options.name} exited (${code ?? signal})${this.#stderr ? `:\n${this.#stderr}` : ''}`);
        for (const pending of this.#pending.values()) pending.reject(error);
        this.#pending.clear();
        rejectReady(error);
        resolve();
      });
    });
    let resolveReady: (value: Ready) => void = () => undefined;
    let rejectReady: (error: Error) => void = () => undefined;
    this.ready = new Promise<Ready>((resolve, reject) => {
      resolveReady = resolve;
      rejectReady = reject;
    });
    // The exit handler may reject `ready` after it resolved; that is a no-op, but not an unhandled one.
    this.ready.catch(() => undefined);
    this.process.on('message', (message: RpcReply | RpcReady) => {
      if (message.kind === 'ready') {
        resolveReady(message.value as Ready);
        return;
      }
      const pending = this.#pending.get(message.id);
      if (pending === undefined) return;
      this.#pending.delete(message.id);
      if (message.ok) pending.resolve(message.value);
      else pending.reject(new Error(`${options.name}: ${message.error}`));
    });
  }

  get pid(): number {
    return this.process.pid ?? 0;
  }

  call<K extends keyof Api & string>(method: K, arg: Parameters<Api[K]>[0]): Promise<Awaited<ReturnType<Api[K]>>> {
    if (this.#exited) return Promise.reject(new Error(`child exited before ${method}`));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      const call: RpcCall = { kind: 'call', id, method, arg };
      this.process.send(call);
    });
  }

  /** Asks the child to stop by `method`, then kills it if it has not exited within `graceMs`. */
  async stop(method?: keyof Api & string, graceMs = 10_000): Promise<void> {
    if (this.#exited) return;
    const timer = setTimeout(() => this.process.kill('SIGKILL'), graceMs);
    if (method !== undefined) await this.call(method, undefined as never).catch(() => undefined);
    if (!this.#exited && method === undefined) this.process.kill('SIGTERM');
    await this.#exit;
    clearTimeout(timer);
  }

  kill(): void {
    if (!this.#exited) this.process.kill('SIGKILL');
  }
}

/** In a child: answers calls from the parent with `handlers`. Call `announceReady` once usable. */
export function serveRpc(handlers: Record<string, (arg: never) => unknown>): void {
  const send = process.send?.bind(process);
  if (send === undefined) throw new Error('a bench child must be started with an IPC channel');
  process.on('message', (message: RpcCall) => {
    if (message.kind !== 'call') return;
    const handler = handlers[message.method];
    Promise.resolve()
      .then(() => {
        if (handler === undefined) throw new Error(`unknown method ${message.method}`);
        return handler(message.arg as never);
      })
      .then(
        (value) => send({ kind: 'reply', id: message.id, ok: true, value } satisfies RpcReply),
        (error: unknown) =>
          send({
            kind: 'reply',
            id: message.id,
            ok: false,
            error: error instanceof Error ? error.stack : String(error),
          } satisfies RpcReply),
      );
  });
  // The parent going away (crash, Ctrl-C) must not leave load running.
  process.on('disconnect', () => process.exit(0));
}

/** Tells the parent the child is usable, with what it needs to know (a URL). */
export function announceReady(value: unknown): void {
  process.send?.({ kind: 'ready', value } satisfies RpcReady);
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
