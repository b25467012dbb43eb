import { rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import type { HistogramReply, HistoryPage } from '@livelog/protocol';
import { type BenchContext, CpuMeter, CpuTally, type LivelogChild, type Row } from '../context.js';
import { ndjsonBody } from '../entries.js';
import { background, cpuOf, cpuRatio, median, ms, percent, percentile, perSecond, times } from '../format.js';
import { IngestClients } from '../ingest-load.js';
import { COMMON_WORDS, dropIndex, expectedCommon, expectedRare, preloadStore, RARE_WORDS, storeSizes } from '../search-corpus.js';

/** Issue 13's targets, on a store of 5,000,000 lines. */
const RARE_P50_MS = 20;
const RARE_P99_MS = 100;
const COMMON_MS = 20;
const HISTOGRAM_ALL_MS = 100;
const HISTOGRAM_HOUR_MS = 20;
const INGEST_SHARE = 0.7;

const PAGE = 200;
const WARMUP = 5;
const SAMPLES = { rare: 200, common: 200, histogramAll: 50, histogramHour: 100, scanRare: 3, scanCommon: 20 };
/** A scan of millions of lines takes tens of seconds: scans stop sampling after this long (one sample at least). */
const SCAN_SECONDS = 60;
/** The servers keep everything: the default 1 GiB / 7 d retention would prune a 5M-line store. */
const KEEP_ALL = ['--retain-bytes', 'unlimited', '--retain-age', 'unlimited'];

/**
 * Search (issue 13): a SQLite store of N lines (`LIVELOG_BENCH_SEARCH_ENTRIES`) preloaded in process
 * with its full-text index, then served by `livelog serve`; over HTTP, rare-term and common-term
 * searches (newest page of 200) and histograms (whole store, last hour), p50 and p99. The same
 * server restarted with `--search-index off` answers the same searches by scanning: that is the
 * `ceiling` column of the search rows (the scan issue 13 replaces). Then ingest with the index on
 * and off, two fresh servers in alternating rounds, and the index's size next to the table's.
 */
export async function searchScenario(ctx: BenchContext): Promise<{ rows: Row[]; notes: string[] }> {
  const entries = ctx.config.searchEntries;
  const dir = join(ctx.scratch, 'search');
  const notes: string[] = [];
  const now = Date.now();
  const preload = await preloadStore(dir, entries, now);
  notes.push(
    `search preload: ${entries.toLocaleString('en-US')} lines with the index through SqliteStore.append in ${preload.toFixed(1)} s (${perSecond(entries, preload)}, in process, no HTTP)`,
  );
  const size = storeSizes(join(dir, 'livelog.db'));

  const indexed = await measureQueries(ctx, dir, 'on', entries, false);
  // What `--search-index off` does at open, done here: on millions of lines it can outlast the server's start timeout.
  dropIndex(join(dir, 'livelog.db'));
  const scanned = await measureQueries(ctx, dir, 'off', entries, true);
  // Gigabytes at 5M lines: gone before the ingest rounds write their own.
  rmSync(dir, { recursive: true, force: true });
  const ingest = await ingestOnOff(ctx);

  const n = entries.toLocaleString('en-US');
  const latencyRow = (
    scenario: string,
    on: Float64Array,
    off: Float64Array | undefined,
    p: number,
    targetMs: number | undefined,
    check: string,
  ): Row => {
    const value = percentile(on, p);
    const scan = off === undefined ? Number.NaN : percentile(off, p);
    return {
      scenario,
      livelog: ms(value),
      ceiling: off === undefined ? '' : ms(scan),
      ratio: off === undefined ? '' : times(value / scan),
      target: targetMs === undefined ? '' : `≤ ${targetMs} ms`,
      result: targetMs === undefined ? '' : value <= targetMs * 1000 ? 'PASS' : 'MISS',
      cpu: '',
      ceilingCpu: '',
      cpuRatio: '',
      background: '',
      check,
    };
  };
  const rows: Row[] = [
    latencyRow(
      `8. search rare term (1 in 100,000), newest ${PAGE}, ${n} lines: p50`,
      indexed.rare,
      scanned.rare,
      0.5,
      RARE_P50_MS,
      indexed.checks.rare,
    ),
    latencyRow('8. search rare term: p99', indexed.rare, scanned.rare, 0.99, RARE_P99_MS, `scan: ${scanned.checks.rare}`),
    latencyRow(
      `8. search common term (1 in 6), first page of ${PAGE}: p50`,
      indexed.common,
      scanned.common,
      0.5,
      COMMON_MS,
      indexed.checks.common,
    ),
    latencyRow('8. search common term: p99', indexed.common, scanned.common, 0.99, undefined, `scan: ${scanned.checks.common}`),
    latencyRow(
      '8. histogram, whole store, 200 buckets: p50',
      indexed.histogramAll,
      undefined,
      0.5,
      HISTOGRAM_ALL_MS,
      indexed.checks.histogramAll,
    ),
    latencyRow('8. histogram, whole store: p99', indexed.histogramAll, undefined, 0.99, undefined, ''),
    latencyRow(
      '8. histogram, last hour, 200 buckets: p50',
      indexed.histogramHour,
      undefined,
      0.5,
      HISTOGRAM_HOUR_MS,
      indexed.checks.histogramHour,
    ),
    latencyRow('8. histogram, last hour: p99', indexed.histogramHour, undefined, 0.99, undefined, ''),
    {
      scenario: `8. ingest --search-index on vs off (${ctx.config.rounds}×${ingest.perRound.toLocaleString('en-US')})`,
      livelog: perSecond(median(ingest.on.rates), 1),
      ceiling: perSecond(median(ingest.off.rates), 1),
      ratio: percent(median(ingest.on.rates) / median(ingest.off.rates)),
      target: `≥ ${percent(INGEST_SHARE)} of off`,
      result: median(ingest.on.rates) / median(ingest.off.rates) >= INGEST_SHARE ? 'PASS' : 'MISS',
      cpu: cpuOf(ingest.on.cpu),
      ceilingCpu: cpuOf(ingest.off.cpu),
      cpuRatio: cpuRatio(ingest.on.cpu, ingest.off.cpu),
      background: background(ingest.on.cpu.background, ingest.off.cpu.background),
      check: ingest.check,
    },
    {
      scenario: `8. search index size vs entries table, ${n} lines`,
      livelog: megabytes(size.index),
      ceiling: megabytes(size.table),
      ratio: percent(size.index / size.table),
      target: '',
      result: '',
      cpu: '',
      ceilingCpu: '',
      cpuRatio: '',
      background: '',
      check: `file ${megabytes(size.file)}; stored JSON ${megabytes(size.json)}`,
    },
  ];
  return { rows, notes };
}

interface QueryTimes {
  rare: Float64Array;
  common: Float64Array;
  histogramAll: Float64Array;
  histogramHour: Float64Array;
  checks: { rare: string; common: string; histogramAll: string; histogramHour: string };
}

/**
 * Serves `dir` with `--search-index mode` and times each query from request to the end of its
 * answer, in µs, over one keep-alive connection. A search follows `next` until it holds a page (the
 * server cuts a request short after ~200 ms of scanning): the time is the whole page's. `scan`: fewer
 * samples (each reads the whole store) and no histograms (they do not use the index).
 */
async function measureQueries(ctx: BenchContext, dir: string, mode: 'on' | 'off', entries: number, scan: boolean): Promise<QueryTimes> {
  const { child, port } = await ctx.startLivelog(dir, `search-${mode}`, ['--search-index', mode, ...KEEP_ALL]);
  const http = new HttpGetter(port);
  try {
    const search = async (words: string[], samples: number, expected: (word: string) => number[]) => {
      const out = new Float64Array(samples);
      const wrong = new Set<string>();
      let requests = 0;
      const deadline = performance.now() + SCAN_SECONDS * 1000;
      let taken = 0;
      for (let s = scan ? 0 : -WARMUP; s < samples && !(scan && s > 0 && performance.now() > deadline); s++) {
        const word = words[(s + words.length) % words.length] as string;
        const started = performance.now();
        const page = await newestPage(http, word);
        const us = (performance.now() - started) * 1000;
        if (s < 0) continue;
        out[s] = us;
        taken++;
        requests += page.requests;
        if (page.seqs.join() !== expected(word).join()) wrong.add(word);
      }
      const sorted = out.slice(0, taken).sort();
      const check =
        wrong.size === 0
          ? `${taken} pages as expected, ${(requests / taken).toFixed(1)} requests each`
          : `FAIL wrong page for ${[...wrong].join(', ')}`;
      return { times: sorted, check };
    };
    const rare = await search(RARE_WORDS, scan ? SAMPLES.scanRare : SAMPLES.rare, (word) => expectedRare(word, entries, PAGE));
    const common = await search(COMMON_WORDS, scan ? SAMPLES.scanCommon : SAMPLES.common, (word) => expectedCommon(word, entries, PAGE));
    if (scan) {
      const none = { times: new Float64Array(0), check: '' };
      return {
        rare: rare.times,
        common: common.times,
        histogramAll: none.times,
        histogramHour: none.times,
        checks: { rare: rare.check, common: common.check, histogramAll: '', histogramHour: '' },
      };
    }
    const histogram = async (path: string, samples: number, expectTotal: number | undefined) => {
      const out = new Float64Array(samples);
      let total = 0;
      let partial = false;
      for (let s = -WARMUP; s < samples; s++) {
        const started = performance.now();
        const reply = (await http.get(path)) as HistogramReply;
        if (s < 0) continue;
        out[s] = (performance.now() - started) * 1000;
        partial ||= reply.partial === true;
        total = reply.buckets.reduce((sum, bucket) => sum + Object.values(bucket.counts).reduce((a, b) => a + (b ?? 0), 0), 0);
      }
      out.sort();
      const counted = `${total.toLocaleString('en-US')} entries counted${partial ? ' (partial)' : ''}`;
      return { times: out, check: expectTotal === undefined || total === expectTotal ? counted : `FAIL ${counted}, ${expectTotal} stored` };
    };
    const all = await histogram('/api/histogram?buckets=200', SAMPLES.histogramAll, entries);
    const hour = await histogram('/api/histogram?buckets=200&since=1h', SAMPLES.histogramHour, undefined);
    return {
      rare: rare.times,
      common: common.times,
      histogramAll: all.times,
      histogramHour: hour.times,
      checks: { rare: rare.check, common: common.check, histogramAll: all.check, histogramHour: hour.check },
    };
  } finally {
    http.close();
    await ctx.stopLivelog(child);
  }
}

/** The newest page of `PAGE` matches of `q`, newest first, following `next` through short pages. */
async function newestPage(http: HttpGetter, q: string): Promise<{ seqs: number[]; requests: number }> {
  const seqs: number[] = [];
  let before = '';
  for (let requests = 1; ; requests++) {
    const position = before === '' ? '' : `&before=${encodeURIComponent(before)}`;
    const page = (await http.get(`/api/logs?limit=${PAGE - seqs.length}&q=${encodeURIComponent(q)}${position}`)) as HistoryPage;
    for (let i = page.entries.length - 1; i >= 0; i--) seqs.push((page.entries[i] as { seq: number }).seq);
    if (!page.hasMore || seqs.length >= PAGE || page.next === undefined) return { seqs, requests };
    before = page.next;
  }
}

interface IngestSeries {
  rates: number[];
  cpu: CpuTally;
}

/** Two fresh servers, index on and off, the same batches in alternating rounds. */
async function ingestOnOff(ctx: BenchContext): Promise<{ on: IngestSeries; off: IngestSeries; perRound: number; check: string }> {
  const { ingestBatch, ingestClients, rounds } = ctx.config;
  const time = Date.now();
  const bodies = Array.from({ length: 16 }, (_, k) => ndjsonBody(k * ingestBatch, ingestBatch, time));
  const batchesPerRound = Math.max(ingestClients * 2, Math.round(ctx.config.searchIngestEntries / ingestBatch / rounds));
  const warmup = Math.min(20, batchesPerRound);
  const servers: { mode: 'on' | 'off'; child: LivelogChild; posted: number; lastSeq: number; s: IngestSeries }[] = [];
  try {
    for (const mode of ['on', 'off'] as const) {
      const { child } = await ctx.startLivelog(join(ctx.scratch, `search-ingest-${mode}`), `search-ingest-${mode}`, [
        '--search-index',
        mode,
      ]);
      servers.push({ mode, child, posted: 0, lastSeq: 0, s: { rates: [], cpu: new CpuTally() } });
    }
    for (const server of servers) {
      const clients = new IngestClients(server.child.server.port, '/api/logs', ingestClients);
      server.posted += (await clients.postAll(bodies, warmup, ingestClients).finally(() => clients.close())).entries;
    }
    for (let round = 0; round < rounds; round++) {
      // Alternate which goes first, so that neither always follows the other's checkpoint.
      for (const server of round % 2 === 0 ? servers : [...servers].reverse()) {
        const clients = new IngestClients(server.child.server.port, '/api/logs', ingestClients);
        const meter = new CpuMeter([server.child.pid], () => ctx.ownPids()).start();
        const result = await clients.postAll(bodies, batchesPerRound, ingestClients).finally(() => clients.close());
        server.s.cpu.add(result.elapsedMs / 1000, meter.stop(), meter.background, result.entries);
        server.s.rates.push(result.entries / (result.elapsedMs / 1000));
        server.posted += result.entries;
        server.lastSeq = result.lastSeq;
      }
    }
  } finally {
    for (const server of servers) await ctx.stopLivelog(server.child);
  }
  const [on, off] = servers;
  if (on === undefined || off === undefined) throw new Error('search ingest servers missing');
  const bad = servers.find((server) => server.lastSeq !== server.posted);
  return {
    on: on.s,
    off: off.s,
    perRound: batchesPerRound * ingestBatch,
    check:
      bad === undefined
        ? `both: seq 1..${on.posted.toLocaleString('en-US')} acked`
        : `FAIL ${bad.mode}: last seq ${bad.lastSeq} ≠ ${bad.posted} posted`,
  };
}

function megabytes(bytes: number): string {
  return `${(bytes / 1024 ** 2).toFixed(0)} MB`;
}

/** GETs JSON over one keep-alive connection. */
class HttpGetter {
  readonly #agent = new Agent({ keepAlive: true, maxSockets: 1 });
  readonly #port: number;

  constructor(port: number) {
    this.#port = port;
  }

  get(path: string): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: this.#port, path, agent: this.#agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode !== 200) reject(new Error(`GET ${path}: ${res.statusCode} ${text.slice(0, 200)}`));
          else resolve(JSON.parse(text));
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}
