/**
 * Sizes of every scenario. `LIVELOG_BENCH_SCALE` multiplies the counts (0.1 for a quick run); each
 * count also has its own variable for a targeted run.
 */
export interface BenchConfig {
  scale: number;
  /** Ingest: batches of `ingestBatch` entries posted by `ingestClients` concurrent clients. */
  ingestBatches: number;
  ingestBatch: number;
  ingestClients: number;
  /** Fan-out: reader counts, and entries ingested per reader count. */
  fanoutReaders: number[];
  fanoutEntries: number[];
  /**
   * Rounds of ingest and fan-out (livelog and ceiling alternate, the median of each is reported);
   * replay runs min(3, rounds), latency 2.
   */
  rounds: number;
  /** Replay: entries preloaded before one reader asks for `?from=start`. */
  replayEntries: number;
  /** Replay from the hot ring: entries posted to a server whose ring holds them all. */
  replayRingEntries: number;
  /** Latency: entries/s, entries per POST, seconds measured (after `latencyWarmupSec`), readers. */
  latencyRate: number;
  latencyBatch: number;
  latencySec: number;
  latencyWarmupSec: number;
  latencyReaders: number;
  /** Every n-th reader records a latency sample for each entry it receives. */
  latencySampleEvery: number;
  /** Memory: idle readers held open. */
  memoryReaders: number;
  /** Streams: ingest of `streamsCount` streams × `streamsEntries` entries by `streamsClients` clients. */
  streamsCount: number;
  streamsEntries: number;
  streamsClients: number;
  /**
   * Jobs each streams client runs at once, each shipping its own stream with one request in flight
   * (as a shipper does: strict order per stream), so a client keeps this many requests in flight.
   */
  streamsJobs: number;
  /** Streams latency: readers (one per stream), entries/s over all of them, seconds measured. */
  streamsLatencyReaders: number;
  streamsLatencyRate: number;
  streamsLatencySec: number;
  /**
   * Reconnect storm: readers reconnecting at once, each between `stormMinBehind` and `stormMaxBehind`
   * entries behind the head, while `stormLiveRate` entries/s arrive (issue 12: 1,000 readers,
   * 10,000–100,000 behind, 5,000/s).
   */
  stormReaders: number;
  stormMinBehind: number;
  stormMaxBehind: number;
  stormLiveRate: number;
  /** Storm: readers already at the head whose ingest→delivery latency is sampled during the storm. */
  stormLiveReaders: number;
  /**
   * Storm: longest wait for the readers of one round (cached, uncached, ceiling), seconds. A round that
   * runs over it is reported as timed out, with how far its readers got, and the scenario goes on.
   */
  stormTimeoutSec: number;
  /** Search: lines in the searched store (issue 13: 5,000,000), and entries per server in the ingest on/off comparison. */
  searchEntries: number;
  searchIngestEntries: number;
  /** Every n-th reader checks each frame's seq; the others count cheaply (fan-out). */
  verifyEvery: number;
  /** Reader processes the readers are spread over. */
  readerProcs: number;
  /** Extra Node flags for the livelog server process (experiments, e.g. `--max-semi-space-size=32`). */
  serverNodeArgs: string[];
  /** Run the livelog server with `--cpu-prof`, profiles in `bench/profiles/`. */
  cpuProf: boolean;
  /** Soak (only when asked for): readers, entries/s, seconds (`LIVELOG_SOAK_SECONDS`, default 30 min). */
  soakReaders: number;
  soakRate: number;
  soakSeconds: number;
  /**
   * Many readers (only when asked for, issue 12 item 7): readers held (capped by the open-file
   * limit), seconds of heartbeat-only CPU measured, then entries/s for `manySec` seconds in batches
   * of `manyBatch`; every `manySampleEvery`-th reader checks every frame and samples latency.
   */
  manyReaders: number;
  manyIdleSec: number;
  manyRate: number;
  manyBatch: number;
  manySec: number;
  manySampleEvery: number;
  /** Scenarios to run (default all but soak): ingest, fanout, replay, latency, memory, inputs, streams, follow, search, soak. */
  only: Set<string>;
}

/** Scenarios of a plain `npm run bench`, in the order they run. */
export const ALL = ['ingest', 'fanout', 'replay', 'latency', 'memory', 'inputs', 'streams', 'storm', 'follow', 'search'];
/** Scenarios run only when LIVELOG_BENCH_ONLY names them: the soak takes 30 minutes, readers20k a few. */
export const ON_REQUEST = ['soak', 'readers20k'];

export function readConfig(env: NodeJS.ProcessEnv = process.env): BenchConfig {
  const scale = positive(env.LIVELOG_BENCH_SCALE, 1, 'LIVELOG_BENCH_SCALE');
  const count = (name: string, base: number, min = 1): number => Math.max(min, Math.round(positive(env[name], base * scale, name)));
  const list = (name: string, base: number[]): number[] =>
    env[name] === undefined ? base : (env[name] as string).split(',').map((part) => Math.round(positive(part.trim(), 1, name)));
  const fanoutReaders = list('LIVELOG_BENCH_FANOUT_READERS', [1, 100, 1000]);
  // Per round, at most the hot ring (10,000 entries by default), so that the scenario measures
  // fan-out from the ring and not catch-up from SQLite; one reader gets more, to outlast start-up.
  const fanoutEntries = fanoutReaders.map((readers) => Math.max(1000, Math.round((readers === 1 ? 100_000 : 10_000) * scale)));
  const only = new Set((env.LIVELOG_BENCH_ONLY ?? ALL.join(',')).split(',').map((name) => name.trim()));
  const known = [...ALL, ...ON_REQUEST];
  for (const name of only)
    if (!known.includes(name)) throw new Error(`LIVELOG_BENCH_ONLY: unknown scenario ${name} (known: ${known.join(', ')})`);
  return {
    scale,
    ingestBatches: count('LIVELOG_BENCH_INGEST_BATCHES', 500, 8),
    ingestBatch: Math.round(positive(env.LIVELOG_BENCH_INGEST_BATCH, 1000, 'LIVELOG_BENCH_INGEST_BATCH')),
    ingestClients: Math.round(positive(env.LIVELOG_BENCH_INGEST_CLIENTS, 4, 'LIVELOG_BENCH_INGEST_CLIENTS')),
    fanoutReaders,
    fanoutEntries: env.LIVELOG_BENCH_FANOUT_ENTRIES === undefined ? fanoutEntries : list('LIVELOG_BENCH_FANOUT_ENTRIES', fanoutEntries),
    rounds: Math.round(positive(env.LIVELOG_BENCH_ROUNDS, 5, 'LIVELOG_BENCH_ROUNDS')),
    replayEntries: count('LIVELOG_BENCH_REPLAY_ENTRIES', 1_000_000, 1000),
    replayRingEntries: count('LIVELOG_BENCH_REPLAY_RING_ENTRIES', 1_000_000, 1000),
    latencyRate: Math.round(positive(env.LIVELOG_BENCH_LATENCY_RATE, 10_000, 'LIVELOG_BENCH_LATENCY_RATE')),
    latencyBatch: Math.round(positive(env.LIVELOG_BENCH_LATENCY_BATCH, 100, 'LIVELOG_BENCH_LATENCY_BATCH')),
    latencySec: Math.max(1, positive(env.LIVELOG_BENCH_LATENCY_SEC, 8 * scale, 'LIVELOG_BENCH_LATENCY_SEC')),
    latencyWarmupSec: positive(env.LIVELOG_BENCH_LATENCY_WARMUP_SEC, 1, 'LIVELOG_BENCH_LATENCY_WARMUP_SEC'),
    latencyReaders: Math.round(positive(env.LIVELOG_BENCH_LATENCY_READERS, 100, 'LIVELOG_BENCH_LATENCY_READERS')),
    latencySampleEvery: Math.round(positive(env.LIVELOG_BENCH_LATENCY_SAMPLE_EVERY, 10, 'LIVELOG_BENCH_LATENCY_SAMPLE_EVERY')),
    memoryReaders: count('LIVELOG_BENCH_MEMORY_READERS', 2000, 50),
    streamsCount: count('LIVELOG_BENCH_STREAMS', 10_000, 10),
    streamsEntries: Math.round(positive(env.LIVELOG_BENCH_STREAMS_ENTRIES, 100, 'LIVELOG_BENCH_STREAMS_ENTRIES')),
    streamsClients: Math.round(positive(env.LIVELOG_BENCH_STREAMS_CLIENTS, 8, 'LIVELOG_BENCH_STREAMS_CLIENTS')),
    streamsJobs: Math.round(positive(env.LIVELOG_BENCH_STREAMS_JOBS, 4, 'LIVELOG_BENCH_STREAMS_JOBS')),
    streamsLatencyReaders: count('LIVELOG_BENCH_STREAMS_READERS', 1000, 10),
    streamsLatencyRate: Math.round(positive(env.LIVELOG_BENCH_STREAMS_RATE, 1000, 'LIVELOG_BENCH_STREAMS_RATE')),
    streamsLatencySec: Math.max(2, Math.round(positive(env.LIVELOG_BENCH_STREAMS_SEC, 10, 'LIVELOG_BENCH_STREAMS_SEC'))),
    stormReaders: count('LIVELOG_BENCH_STORM_READERS', 1000, 2),
    stormMinBehind: count('LIVELOG_BENCH_STORM_MIN_BEHIND', 10_000, 1),
    stormMaxBehind: count('LIVELOG_BENCH_STORM_MAX_BEHIND', 100_000, 2),
    stormLiveRate: Math.round(positive(env.LIVELOG_BENCH_STORM_LIVE_RATE, 5000, 'LIVELOG_BENCH_STORM_LIVE_RATE')),
    stormLiveReaders: Math.round(positive(env.LIVELOG_BENCH_STORM_LIVE_READERS, 20, 'LIVELOG_BENCH_STORM_LIVE_READERS')),
    stormTimeoutSec: positive(env.LIVELOG_BENCH_STORM_TIMEOUT_SEC, 240, 'LIVELOG_BENCH_STORM_TIMEOUT_SEC'),
    searchEntries: count('LIVELOG_BENCH_SEARCH_ENTRIES', 5_000_000, 100_000),
    searchIngestEntries: count('LIVELOG_BENCH_SEARCH_INGEST_ENTRIES', 500_000, 10_000),
    verifyEvery: Math.round(positive(env.LIVELOG_BENCH_VERIFY_EVERY, 10, 'LIVELOG_BENCH_VERIFY_EVERY')),
    readerProcs: Math.round(positive(env.LIVELOG_BENCH_READER_PROCS, 2, 'LIVELOG_BENCH_READER_PROCS')),
    serverNodeArgs: (env.LIVELOG_BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean),
    cpuProf: env.LIVELOG_BENCH_CPU_PROF === '1',
    soakReaders: Math.round(positive(env.LIVELOG_SOAK_READERS, 2000, 'LIVELOG_SOAK_READERS')),
    soakRate: Math.round(positive(env.LIVELOG_SOAK_RATE, 1000, 'LIVELOG_SOAK_RATE')),
    soakSeconds: positive(env.LIVELOG_SOAK_SECONDS, 1800, 'LIVELOG_SOAK_SECONDS'),
    manyReaders: count('LIVELOG_BENCH_MANY_READERS', 20_000, 100),
    manyIdleSec: positive(env.LIVELOG_BENCH_MANY_IDLE_SEC, 30, 'LIVELOG_BENCH_MANY_IDLE_SEC'),
    manyRate: Math.round(positive(env.LIVELOG_BENCH_MANY_RATE, 1000, 'LIVELOG_BENCH_MANY_RATE')),
    manyBatch: Math.round(positive(env.LIVELOG_BENCH_MANY_BATCH, 100, 'LIVELOG_BENCH_MANY_BATCH')),
    manySec: Math.max(2, positive(env.LIVELOG_BENCH_MANY_SEC, 10 * scale, 'LIVELOG_BENCH_MANY_SEC')),
    manySampleEvery: Math.round(positive(env.LIVELOG_BENCH_MANY_SAMPLE_EVERY, 100, 'LIVELOG_BENCH_MANY_SAMPLE_EVERY')),
    only,
  };
}

function positive(text: string | undefined, fallback: number, name: string): number {
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got ${JSON.stringify(text)}`);
  return value;
}
