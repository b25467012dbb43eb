import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type SpawnedServer, spawnServer } from '@livelog/test-utils';
import type { CeilingApi } from './ceiling-server.js';
import type { BenchConfig } from './config.js';
import type { GroupReport, OpenArgs, ReaderApi } from './reader-worker.js';
import { Child } from './rpc.js';
import type { ServerProbeApi } from './server-probe.js';

/** A `livelog serve` under test, with the memory probe loaded into it. */
export interface LivelogChild {
  readonly pid: number;
  readonly url: string;
  readonly server: SpawnedServer;
  /** Asks the probe inside the server for its memory, after full GCs. */
  memory(): Promise<ReturnType<ServerProbeApi['mem']>>;
  /** Readers the server counts as connected now (its `livelog_stream_readers` metric). */
  readers(): Promise<number>;
}
export type CeilingChild = Child<CeilingApi, { port: number }>;

/** One line of the printed table. */
export interface Row {
  scenario: string;
  livelog: string;
  ceiling: string;
  /** livelog / ceiling, as the scenario defines it. */
  ratio: string;
  /**
   * Ceiling's server CPU per entry / livelog's: how efficient livelog's process is next to a bare
   * one, whatever the readers or other processes did to the rates.
   */
  cpuRatio: string;
  target: string;
  /**
   * INVALID: the run did not produce the load it measures under (e.g. a paced sender below its rate).
   * OUT OF REACH / REACHABLE: a floor row, whether the target could be met in this run at all.
   */
  result: 'PASS' | 'MISS' | 'INVALID' | 'OUT OF REACH' | 'REACHABLE' | '';
  /** CPU of the server process and of the reader process(es), % of one core, during the livelog run. */
  cpu: string;
  /** The same during the ceiling run. */
  ceilingCpu: string;
  /** CPU used by other processes on the machine during the livelog / ceiling runs (noise). */
  background: string;
  /** Delivery check: every reader got every entry exactly once, in order. */
  check: string;
}

/** Everything the scenarios share: config, the ceiling server, reader processes, scratch space. */
export class BenchContext {
  readonly config: BenchConfig;
  readonly ceiling: CeilingChild;
  readonly readers: ReaderPool;
  readonly scratch: string;
  readonly profiles = fileURLToPath(new URL('../profiles/', import.meta.url));
  readonly #servers = new Set<LivelogChild>();

  constructor(config: BenchConfig, scratch: string) {
    this.config = config;
    this.scratch = scratch;
    // Profiled with livelog's servers, so that a profile of each side of a ratio can be compared.
    if (config.cpuProf) mkdirSync(this.profiles, { recursive: true });
    const ceilingArgs = config.cpuProf
      ? ['--cpu-prof', '--cpu-prof-dir', this.profiles, '--cpu-prof-name', `ceiling-${Date.now()}.cpuprofile`]
      : [];
    this.ceiling = new Child('./ceiling-server.js', { execArgv: ['--expose-gc', ...ceilingArgs], name: 'ceiling' });
    this.readers = new ReaderPool(config.readerProcs);
  }

  async ready(): Promise<void> {
    await Promise.all([this.ceiling.ready, ...this.readers.children.map((child) => child.ready)]);
  }

  /**
   * Starts `livelog serve --data dataDir --log-level warn` as users run it (through test-utils'
   * spawnServer, as every test and benchmark does), with `--expose-gc` and the memory probe; `args`
   * are more `serve` options.
   */
  async startLivelog(dataDir: string, name: string, args: string[] = []): Promise<{ child: LivelogChild; port: number }> {
    const nodeArgs = ['--expose-gc', '--import', new URL('./server-probe.js', import.meta.url).href, ...this.config.serverNodeArgs];
    if (this.config.cpuProf) {
      mkdirSync(this.profiles, { recursive: true });
      nodeArgs.push('--cpu-prof', '--cpu-prof-dir', this.profiles, '--cpu-prof-name', `livelog-${name}-${Date.now()}.cpuprofile`);
    }
    // A loaded shared machine can take longer than the tests' 20 s to start a server.
    const server = await spawnServer({ dataDir, logLevel: 'warn', nodeArgs, ipc: true, args, startTimeoutMs: 60_000 });
    const probe = new Child<ServerProbeApi>(server.child, { name: `livelog ${name}` });
    const child: LivelogChild = {
      pid: server.child.pid ?? 0,
      url: server.url,
      server,
      memory: () => probe.call('mem', undefined),
      readers: async () => {
        const metrics = await (await fetch(`${server.url}/metrics`)).text();
        return Number(/^livelog_stream_readers (\d+)$/m.exec(metrics)?.[1] ?? Number.NaN);
      },
    };
    this.#servers.add(child);
    return { child, port: server.port };
  }

  /** Every process of the bench: this one, the ceiling, the readers and running livelog servers. */
  ownPids(): number[] {
    return [process.pid, this.ceiling.pid, ...this.readers.pids, ...[...this.#servers].map((child) => child.pid)];
  }

  /** Stops a server as SIGTERM does (streams end, batches commit, a --cpu-prof profile is written). */
  async stopLivelog(child: LivelogChild, graceMs = 10_000): Promise<void> {
    const timer = setTimeout(() => void child.server.kill('SIGKILL'), graceMs);
    await child.server.kill('SIGTERM');
    clearTimeout(timer);
    this.#servers.delete(child);
  }

  /** Stops every child process, also after a failure. */
  async shutdown(): Promise<void> {
    await Promise.allSettled([
      ...[...this.#servers].map((child) => this.stopLivelog(child, 5000)),
      this.ceiling.stop('stop', 5000),
      ...this.readers.children.map((child) => child.stop(undefined, 5000)),
    ]);
  }

  /** Kills every child at once (a signal arrived). */
  killAll(): void {
    for (const child of this.#servers) void child.server.kill('SIGKILL');
    this.ceiling.kill();
    for (const child of this.readers.children) child.kill();
  }
}

/** Readers spread over one or more reader processes, driven as one group. */
export class ReaderPool {
  readonly children: Child<ReaderApi>[];

  constructor(processes: number) {
    this.children = Array.from({ length: processes }, (_, i) => new Child<ReaderApi>('./reader-worker.js', { name: `readers ${i + 1}` }));
  }

  get pids(): number[] {
    return this.children.map((child) => child.pid);
  }

  /** Opens `args.readers` readers, split evenly over the reader processes. */
  async open(args: OpenArgs): Promise<GroupReport> {
    const n = this.children.length;
    let offset = 0;
    const reports = await Promise.all(
      this.children.map((child, i) => {
        const readers = Math.floor(args.readers / n) + (i < args.readers % n ? 1 : 0);
        const part: OpenArgs = {
          ...args,
          readers,
          ...(args.latency ? { latency: { ...args.latency, indexOffset: offset } } : {}),
        };
        offset += readers;
        return readers === 0 ? undefined : child.call('open', part);
      }),
    );
    return merge(reports);
  }

  /** Opens one reader per path (one per stream), the paths split evenly over the reader processes. */
  async openPaths(args: Omit<OpenArgs, 'path' | 'paths' | 'readers'>, paths: readonly string[]): Promise<GroupReport> {
    const n = this.children.length;
    const reports = await Promise.all(
      this.children.map((child, i) => {
        const part = paths.filter((_, index) => index % n === i);
        return part.length === 0 ? undefined : child.call('open', { ...args, path: part[0] as string, paths: part, readers: part.length });
      }),
    );
    return merge(reports);
  }

  /** Opens one reader per `resume` item (Last-Event-ID, first seq, target), split evenly over the processes. */
  async openResuming(args: Omit<OpenArgs, 'resume' | 'readers'>, resume: NonNullable<OpenArgs['resume']>): Promise<GroupReport> {
    const n = this.children.length;
    const reports = await Promise.all(
      this.children.map((child, i) => {
        const part = resume.filter((_, index) => index % n === i);
        return part.length === 0 ? undefined : child.call('open', { ...args, resume: part, readers: part.length });
      }),
    );
    return merge(reports);
  }

  /** When each reader reached its target (µs; 0: not yet), over every process. */
  async times(): Promise<number[]> {
    const parts = await Promise.all(this.children.map((child) => child.call('times', undefined)));
    return parts.flatMap((part) => [...part]);
  }

  async arm(target: number): Promise<void> {
    await Promise.all(this.children.map((child) => child.call('arm', { target })));
  }

  async wait(timeoutMs: number): Promise<GroupReport> {
    return merge(await Promise.all(this.children.map((child) => child.call('wait', { timeoutMs }))));
  }

  async report(): Promise<GroupReport> {
    return merge(await Promise.all(this.children.map((child) => child.call('report', undefined))));
  }

  async latency(): Promise<Float64Array> {
    const parts = await Promise.all(this.children.map((child) => child.call('latency', undefined)));
    const out = new Float64Array(parts.reduce((sum, part) => sum + part.length, 0));
    let at = 0;
    for (const part of parts) {
      out.set(part, at);
      at += part.length;
    }
    return out;
  }

  async close(): Promise<void> {
    await Promise.all(this.children.map((child) => child.call('close', undefined)));
  }
}

function merge(reports: (GroupReport | undefined)[]): GroupReport {
  const present = reports.filter((report): report is GroupReport => report !== undefined && report.readers > 0);
  const done = present.every((report) => report.doneAtUs > 0);
  return {
    readers: present.reduce((sum, report) => sum + report.readers, 0),
    doneAtUs: done ? Math.max(0, ...present.map((report) => report.doneAtUs)) : 0,
    minEntries: Math.min(...present.map((report) => report.minEntries)),
    maxEntries: Math.max(0, ...present.map((report) => report.maxEntries)),
    errors: present.reduce((sum, report) => sum + report.errors, 0),
    firstError: present.find((report) => report.firstError !== '')?.firstError ?? '',
    closed: present.reduce((sum, report) => sum + report.closed, 0),
    verified: present.reduce((sum, report) => sum + report.verified, 0),
    reached: present.reduce((sum, report) => sum + report.reached, 0),
    towardsTarget: present.reduce((sum, report) => sum + report.towardsTarget, 0),
    timedOut: present.some((report) => report.timedOut),
  };
}

const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU seconds (user + system) a process has used so far; NaN where /proc is missing. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return Number.NaN;
  }
}

/**
 * Measures the CPU that `pids` use between `start()` and `stop()`, as % of one core, and what the
 * rest of the machine used meanwhile (`background`).
 */
export class CpuMeter {
  readonly #pids: number[];
  readonly #background: BackgroundMeter | undefined;
  #before: number[] = [];
  #startedAt = 0;
  /** % of one core used by other processes during the last window. */
  background = Number.NaN;

  constructor(pids: number[], ownPids?: () => number[]) {
    this.#pids = pids;
    this.#background = ownPids === undefined ? undefined : new BackgroundMeter(ownPids);
  }

  start(): this {
    this.#before = this.#pids.map(cpuSeconds);
    this.#background?.start();
    this.#startedAt = performance.now();
    return this;
  }

  /** Percent of one core per pid. */
  stop(): number[] {
    const seconds = (performance.now() - this.#startedAt) / 1000;
    this.background = this.#background?.stop() ?? Number.NaN;
    return this.#pids.map((pid, i) => ((cpuSeconds(pid) - (this.#before[i] as number)) / seconds) * 100);
  }
}

/** Time-weighted sums of CPU shares over several measured windows, and the work done in them. */
export class CpuTally {
  #seconds = 0;
  #shares: number[] = [];
  #background = 0;
  #work = 0;

  /** `work`: entries ingested or delivered in the window. */
  add(seconds: number, shares: number[], background: number, work: number): void {
    this.#seconds += seconds;
    this.#shares = shares.map((share, i) => (this.#shares[i] ?? 0) + share * seconds);
    this.#background += background * seconds;
    this.#work += work;
  }

  get shares(): number[] {
    return this.#shares.map((sum) => sum / this.#seconds);
  }

  get background(): number {
    return this.#background / this.#seconds;
  }

  /** CPU µs the first process (the server) spent per unit of work: less sensitive to noise than rates. */
  get serverUsPerWork(): number {
    return ((this.#shares[0] ?? Number.NaN) / 100 / this.#work) * 1e6;
  }
}

/** Busy CPU ticks of the whole machine so far (user, nice, system, irq, softirq, steal). */
function machineBusySeconds(): number {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] as string;
    const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
    return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / CLOCK_TICKS;
  } catch {
    return Number.NaN;
  }
}

/**
 * CPU used on the machine by processes other than the bench's own while a scenario runs (other
 * engineers' tests, builds), as % of one core: the noise next to each figure.
 */
export class BackgroundMeter {
  readonly #pids: () => number[];
  #busy = 0;
  #own = new Map<number, number>();
  #startedAt = 0;

  constructor(pids: () => number[]) {
    this.#pids = pids;
  }

  start(): this {
    this.#busy = machineBusySeconds();
    this.#own = new Map(this.#pids().map((pid) => [pid, cpuSeconds(pid)]));
    this.#startedAt = performance.now();
    return this;
  }

  stop(): number {
    const seconds = (performance.now() - this.#startedAt) / 1000;
    let own = 0;
    // Processes that started or ended in between are counted from what can still be read.
    for (const pid of new Set([...this.#own.keys(), ...this.#pids()])) {
      const now = cpuSeconds(pid);
      const before = this.#own.get(pid) ?? 0;
      if (Number.isFinite(now)) own += now - before;
    }
    return Math.max(0, ((machineBusySeconds() - this.#busy - own) / seconds) * 100);
  }
}
