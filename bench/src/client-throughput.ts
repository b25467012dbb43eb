import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStream } from '@livelog/client';
import { spawnServer } from '@livelog/test-utils';

/**
 * `node bench/dist/client-throughput.js`: how fast @livelog/client parses and delivers entries in
 * Node, next to the ceiling of the same scenario read by a bare `fetch` loop that only counts bytes.
 *
 * One `livelog serve` process (SQLite, its own data directory) holds N entries; one reader in this
 * process asks for `?from=start` and reads until it has entry N. The client run decodes SSE, parses
 * every entry's JSON, checks its order and delivers batches to a listener that counts them; the bare
 * loop does none of that. Rounds alternate (raw, client, raw, client, …) and the median of each is
 * reported. Target: the client at ≥ 70% of the bare loop's entries/s. CPU per entry is this
 * process's own (user + system) time, which the rest of the machine's load disturbs less than rates.
 *
 * Environment: LIVELOG_BENCH_CLIENT_ENTRIES (default 200,000), LIVELOG_BENCH_CLIENT_ROUNDS (default 5).
 */

const ENTRIES = Number(process.env.LIVELOG_BENCH_CLIENT_ENTRIES ?? 200_000);
const ROUNDS = Number(process.env.LIVELOG_BENCH_CLIENT_ROUNDS ?? 5);
const BATCH = 5000;

interface Round {
  ms: number;
  bytes: number;
  /** CPU time this process spent (user + system), in ms. */
  cpuMs: number;
}

async function fill(url: string): Promise<void> {
  for (let from = 1; from <= ENTRIES; from += BATCH) {
    let body = '';
    for (let n = from; n < from + BATCH && n <= ENTRIES; n++) {
      body += `${JSON.stringify({ msg: `GET /api/items/${n} 200 ${n % 97} ms`, level: n % 10 === 0 ? 'warn' : 'info', source: 'bench', req: n })}\n`;
    }
    const response = await fetch(`${url}/api/logs`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body });
    if (!response.ok) throw new Error(`ingest failed: ${response.status} ${await response.text()}`);
  }
}

/** The bare loop: fetch the stream and count bytes until the chunk holding entry N went by. */
async function rawRound(url: string): Promise<Round> {
  const marker = `"seq":${ENTRIES},`;
  const controller = new AbortController();
  const cpu = process.cpuUsage();
  const started = performance.now();
  const response = await fetch(`${url}/api/stream?from=start`, { signal: controller.signal });
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) throw new Error('the stream ended early');
    bytes += value.byteLength;
    // Only the chunk's tail is looked at: enough to see the last entry, and nearly free.
    if (decoder.decode(value.subarray(Math.max(0, value.byteLength - 400))).includes(marker)) break;
  }
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  controller.abort();
  return { ms, bytes, cpuMs: (used.user + used.system) / 1000 };
}

/** The client: every entry parsed, checked and delivered; resolves once entry N was delivered. */
async function clientRound(url: string): Promise<Round> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const stream = openStream({ url, start: { fromStart: true } });
  let count = 0;
  let lastSeq = 0;
  await new Promise<void>((resolve, reject) => {
    stream.on('entries', (batch) => {
      count += batch.length;
      lastSeq = (batch[batch.length - 1] as { seq: number }).seq;
      if (lastSeq >= ENTRIES) resolve();
    });
    stream.on('error', reject);
  });
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const stats = stream.stats();
  stream.close();
  if (count !== ENTRIES || stats.duplicates + stats.outOfOrder + stats.missing !== 0) {
    throw new Error(
      `client got ${count} entries (duplicates ${stats.duplicates}, out of order ${stats.outOfOrder}, missing ${stats.missing})`,
    );
  }
  return { ms, bytes: stats.bytes, cpuMs: (used.user + used.system) / 1000 };
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
};

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'livelog-bench-client-'));
  const server = await spawnServer({ dataDir, logLevel: 'warn' });
  const { url } = server;
  try {
    process.stderr.write(`bench client-throughput: ingesting ${ENTRIES} entries…\n`);
    await fill(url);
    // One unmeasured round of each warms the server's pages, the JIT and the connection code.
    await rawRound(url);
    await clientRound(url);
    const raw: Round[] = [];
    const client: Round[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      raw.push(await rawRound(url));
      client.push(await clientRound(url));
      process.stderr.write(`  round ${round + 1}: raw ${raw.at(-1)?.ms.toFixed(0)} ms, client ${client.at(-1)?.ms.toFixed(0)} ms\n`);
    }
    // Each round's raw and client runs are back to back, under the same load from the rest of the
    // machine: the ratio is taken per round, and its median reported.
    const ratio = median(raw.map((r, i) => r.ms / (client[i] as Round).ms));
    const rate = (rounds: Round[]): string => Math.round(ENTRIES / (median(rounds.map((r) => r.ms)) / 1000)).toLocaleString('en-US');
    const cpuPerEntry = (rounds: Round[]): string => ((median(rounds.map((r) => r.cpuMs)) * 1000) / ENTRIES).toFixed(2);
    const mb = (rounds: Round[]): string => (median(rounds.map((r) => r.bytes)) / 1e6).toFixed(1);
    const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
    console.log(
      `livelog client-throughput — Node ${process.version}, ${availableParallelism()} cores (${cpu}), load ${loadavg()[0]?.toFixed(2)}`,
    );
    console.log(`${ENTRIES} entries replayed from a livelog serve process (SQLite) to one reader in this process; ${ROUNDS} rounds`);
    console.log(`  bare fetch loop (counts bytes):   ${rate(raw)} entries/s, ${cpuPerEntry(raw)} µs CPU/entry (${mb(raw)} MB per round)`);
    console.log(
      `  @livelog/client (parse+deliver): ${rate(client)} entries/s, ${cpuPerEntry(client)} µs CPU/entry (${mb(client)} MB per round)`,
    );
    console.log(`  ratio (median of per-round ratios) ${(ratio * 100).toFixed(0)}% (target ≥ 70%): ${ratio >= 0.7 ? 'PASS' : 'FAIL'}`);
    process.exitCode = ratio >= 0.7 ? 0 : 1;
  } finally {
    await server.kill('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
