import { join } from 'node:path';
import { type BenchContext, CpuMeter, CpuTally, type LivelogChild, type Row } from '../context.js';
import { ndjsonBody } from '../entries.js';
import { background, cpuOf, cpuRatio, median, percent, perSecond } from '../format.js';
import { IngestClients } from '../ingest-load.js';
import { RawSqlite } from '../raw-sqlite.js';

/** Absolute target on an idle 2-core machine (issue 12). */
const TARGET = 200_000;
/** livelog's ingest ÷ raw better-sqlite3 inserts of the same rows (issue 12). */
const RAW_TARGET = 0.5;
/** `full` becomes the default when its ingest is at least this share of `normal`'s (issue 12). */
const FULL_TARGET = 0.8;

interface Series {
  rates: number[];
  cpu: CpuTally;
}

function series(): Series {
  return { rates: [], cpu: new CpuTally() };
}

/**
 * Durable ingest: NDJSON batches posted by a few keep-alive clients, each acknowledged only once its
 * batch is committed to SQLite, against two servers, `--durability normal` and `--durability full`.
 * Beside them, in the same rounds: the HTTP ceiling (a server that only counts lines) and the disk's
 * limit (raw better-sqlite3 inserts of the same rows into livelog's own schema with the same pragmas,
 * search index included, one transaction per batch; in `normal` and `full`, and in `normal` without the
 * entries' secondary index or without the search index, to show what each costs). Rounds alternate between all of them; medians are reported.
 */
export async function ingestScenario(ctx: BenchContext): Promise<Row[]> {
  const { ingestBatch, ingestBatches, ingestClients, rounds } = ctx.config;
  // Distinct bodies (not one repeated) so that nothing downstream can benefit from identical input.
  const time = Date.now();
  const bodies = Array.from({ length: 16 }, (_, k) => ndjsonBody(k * ingestBatch, ingestBatch, time));
  const perRound = Math.max(ingestClients * 2, Math.round(ingestBatches / rounds));
  const warmup = Math.min(20, perRound);

  const servers = new Map<'normal' | 'full', { child: LivelogChild; clients: IngestClients; posted: number; lastSeq: number; s: Series }>();
  const ceilingPort = (await ctx.ceiling.ready).port;
  let raw = new IngestClients(ceilingPort, '/ingest', ingestClients);
  const ceiling = series();
  const disk = { normal: series(), full: series(), noIndex: series(), noSearch: series() };
  // Kept across rounds, as the servers' databases are, so both grow alike.
  const rawDbs = {
    normal: new RawSqlite(join(ctx.scratch, 'raw-normal'), 'normal'),
    full: new RawSqlite(join(ctx.scratch, 'raw-full'), 'full'),
    noIndex: new RawSqlite(join(ctx.scratch, 'raw-noindex'), 'normal', false),
    noSearch: new RawSqlite(join(ctx.scratch, 'raw-nosearch'), 'normal', true, false),
  };
  try {
    for (const durability of ['normal', 'full'] as const) {
      const { child, port } = await ctx.startLivelog(join(ctx.scratch, `ingest-${durability}`), `ingest-${durability}`, [
        '--durability',
        durability,
      ]);
      const clients = new IngestClients(port, '/api/logs', ingestClients);
      servers.set(durability, { child, clients, posted: 0, lastSeq: 0, s: series() });
    }
    for (const server of servers.values()) server.posted += (await server.clients.postAll(bodies, warmup, ingestClients)).entries;
    await raw.postAll(bodies, warmup, ingestClients);
    for (let round = 0; round < rounds; round++) {
      for (const server of servers.values()) {
        // Fresh connections each round: the raw SQLite rounds block this process for seconds,
        // longer than a server keeps an idle keep-alive socket.
        server.clients.close();
        server.clients = new IngestClients(server.clients.port, '/api/logs', ingestClients);
        const meter = new CpuMeter([server.child.pid], () => ctx.ownPids()).start();
        const result = await server.clients.postAll(bodies, perRound, ingestClients);
        server.s.cpu.add(result.elapsedMs / 1000, meter.stop(), meter.background, result.entries);
        server.s.rates.push(result.entries / (result.elapsedMs / 1000));
        server.posted += result.entries;
        server.lastSeq = result.lastSeq;
      }
      rawSqliteRound(ctx, rawDbs.normal, disk.normal, perRound, ingestBatch, time);
      rawSqliteRound(ctx, rawDbs.full, disk.full, perRound, ingestBatch, time);
      rawSqliteRound(ctx, rawDbs.noIndex, disk.noIndex, perRound, ingestBatch, time);
      rawSqliteRound(ctx, rawDbs.noSearch, disk.noSearch, perRound, ingestBatch, time);

      raw.close();
      raw = new IngestClients(ceilingPort, '/ingest', ingestClients);
      const meter = new CpuMeter([ctx.ceiling.pid], () => ctx.ownPids()).start();
      const result = await raw.postAll(bodies, perRound, ingestClients);
      ceiling.cpu.add(result.elapsedMs / 1000, meter.stop(), meter.background, result.entries);
      ceiling.rates.push(result.entries / (result.elapsedMs / 1000));
    }
  } finally {
    for (const db of Object.values(rawDbs)) db.close();
    raw.close();
    for (const server of servers.values()) {
      server.clients.close();
      await ctx.stopLivelog(server.child);
    }
  }

  const normal = servers.get('normal');
  const full = servers.get('full');
  if (normal === undefined || full === undefined) throw new Error('ingest servers missing');
  const check = (server: { posted: number; lastSeq: number }): string =>
    server.lastSeq === server.posted
      ? `seq 1..${server.posted.toLocaleString('en-US')} acked`
      : `FAIL last seq ${server.lastSeq} ≠ ${server.posted} posted`;
  const rate = (s: Series): number => median(s.rates);
  const load = `${ingestBatch}/batch, ${ingestClients} clients (${rounds}×${(perRound * ingestBatch).toLocaleString('en-US')})`;
  const row = (scenario: string, live: Series, base: Series, target: string, pass: boolean | undefined, checked: string): Row => ({
    scenario,
    livelog: perSecond(rate(live), 1),
    ceiling: perSecond(rate(base), 1),
    ratio: percent(rate(live) / rate(base)),
    cpuRatio: cpuRatio(live.cpu, base.cpu),
    target,
    result: pass === undefined ? '' : pass ? 'PASS' : 'MISS',
    cpu: cpuOf(live.cpu),
    ceilingCpu: cpuOf(base.cpu),
    background: background(live.cpu.background, base.cpu.background),
    check: checked,
  });
  const fullShare = rate(full.s) / rate(normal.s);
  return [
    row(
      `1. durable ingest, NDJSON ${load}, vs HTTP ceiling`,
      normal.s,
      ceiling,
      `≥ ${TARGET.toLocaleString('en-US')}/s`,
      rate(normal.s) >= TARGET,
      check(normal),
    ),
    row(
      '1. ingest (normal) vs raw better-sqlite3, same rows/schema/pragmas',
      normal.s,
      disk.normal,
      `≥ ${percent(RAW_TARGET)} of raw`,
      rate(normal.s) / rate(disk.normal) >= RAW_TARGET,
      'raw: 1 transaction per 1,000 rows with their search index pieces, in the bench process',
    ),
    row(
      '1. ingest --durability full vs raw better-sqlite3 (full)',
      full.s,
      disk.full,
      `≥ ${percent(RAW_TARGET)} of raw`,
      rate(full.s) / rate(disk.full) >= RAW_TARGET,
      check(full),
    ),
    row(
      '1. ingest --durability full vs --durability normal',
      full.s,
      normal.s,
      `≥ ${percent(FULL_TARGET)}: full default`,
      fullShare >= FULL_TARGET,
      fullShare >= FULL_TARGET ? 'full can be the default' : 'keep normal the default',
    ),
    row(
      '1. raw better-sqlite3 with vs without index entries_source',
      disk.normal,
      disk.noIndex,
      '',
      undefined,
      `index costs ${(disk.normal.cpu.serverUsPerWork - disk.noIndex.cpu.serverUsPerWork).toFixed(2)} µs CPU/row`,
    ),
    row(
      '1. raw better-sqlite3 with vs without the search index',
      disk.normal,
      disk.noSearch,
      '',
      undefined,
      `search index costs ${(disk.normal.cpu.serverUsPerWork - disk.noSearch.cpu.serverUsPerWork).toFixed(2)} µs CPU/row (text built before timing)`,
    ),
  ];
}

/** One round of the disk's limit: `batches` transactions of `batch` rows, CPU of this process. */
function rawSqliteRound(ctx: BenchContext, db: RawSqlite, into: Series, batches: number, batch: number, time: number): void {
  const rows = Array.from({ length: batches }, (_, k) => db.rows((k % 16) * batch, batch, time));
  const meter = new CpuMeter([process.pid], () => ctx.ownPids()).start();
  const seconds = db.insert(rows);
  into.cpu.add(seconds, meter.stop(), meter.background, batches * batch);
  into.rates.push((batches * batch) / seconds);
}
