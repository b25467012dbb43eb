// Manual go/no-go measurement for issue 13 (not part of `npm run bench`): the search index filled by
// an indexer thread into its own file, off the writer's critical path, against the index in the
// writer's group commit and no index. In process (`SqliteStore.append`, 4 appenders of 1,000-entry
// batches), modes interleaved per round. The async mode holds appenders back while the indexer is
// more than LAG entries behind and stops its clock when the indexer has caught up, so its rate is a
// steady state, not indexing deferred. Per-thread CPU (µs per entry) comes from /proc (Linux only).
// Run after `npm run build`: N=200000 ROUNDS=3 LAG=20000 nice -n 19 node bench/manual/index-async-proto.mjs
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { SqliteStore } from '@livelog/core';
import { newEntry } from '../dist/entries.js';

const TOTAL = Number(process.env.N ?? 200_000);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const LAG = Number(process.env.LAG ?? 20_000);
const BATCH = 1000;
const APPENDERS = 4;

/** CPU time (µs) of each thread of this process, by thread id. */
function threadCpu() {
  const times = new Map();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const fields = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1].split(' ');
      times.set(tid, (Number(fields[11]) + Number(fields[12])) * 10_000);
    } catch {
      // The thread ended meanwhile.
    }
  }
  return times;
}

async function run(mode) {
  const dir = mkdtempSync(join(tmpdir(), 'index-async-'));
  const store = new SqliteStore({ dir, durability: 'normal', searchIndex: mode === 'writer' });
  await store.open();
  let indexer;
  let indexed = 0;
  let waiters = [];
  if (mode === 'async') {
    indexer = new Worker(new URL('./index-async-indexer.mjs', import.meta.url), {
      workerData: { file: join(dir, 'livelog.db'), indexFile: join(dir, 'livelog-index.db') },
    });
    indexer.on('message', (message) => {
      indexed = message.marks.reduce((sum, [, seq]) => sum + seq, 0);
      const woken = waiters;
      waiters = [];
      for (const wake of woken) wake();
    });
  }
  const batches = Array.from({ length: TOTAL / BATCH }, (_, b) =>
    Array.from({ length: BATCH }, (_, i) => newEntry(b * BATCH + i, 1_700_000_000_000 + b)),
  );
  let next = 0;
  let acked = 0;
  const before = threadCpu();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: APPENDERS }, async () => {
      while (next < batches.length) {
        const batch = batches[next++];
        while (indexer !== undefined && acked - indexed > LAG) await new Promise((wake) => waiters.push(wake));
        const result = await store.append(batch);
        acked = Math.max(acked, result.lastSeq);
        indexer?.postMessage({ poke: true });
      }
    }),
  );
  const ackedAt = performance.now();
  while (indexer !== undefined && indexed < acked) await new Promise((wake) => waiters.push(wake));
  const ended = performance.now();
  const after = threadCpu();
  const threads = [...after]
    .map(([tid, us]) => [tid === String(process.pid) ? 'main' : tid, (us - (before.get(tid) ?? 0)) / TOTAL])
    .filter(([, us]) => us > 0.5)
    .sort((a, b) => b[1] - a[1])
    .map(([tid, us]) => `${tid}:${us.toFixed(1)}`)
    .join(' ');
  if (indexer !== undefined) {
    indexer.postMessage({ close: true });
    await new Promise((resolve) => indexer.on('exit', resolve));
  }
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  return {
    mode,
    rate: Math.round(TOTAL / ((ended - started) / 1000)),
    ackRate: Math.round(TOTAL / ((ackedAt - started) / 1000)),
    threads,
  };
}

const rates = { off: [], async: [], writer: [] };
for (let round = 0; round < ROUNDS; round++) {
  for (const mode of ['off', 'async', 'writer']) {
    const result = await run(mode);
    console.log(JSON.stringify(result));
    rates[mode].push(result.rate);
  }
}
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
for (const [name, pick] of [
  ['median', median],
  ['best', (values) => Math.max(...values)],
]) {
  const off = pick(rates.off);
  console.log(
    `${name}: off ${off}/s, async ${pick(rates.async)}/s (${(pick(rates.async) / off).toFixed(2)}), writer ${pick(rates.writer)}/s (${(pick(rates.writer) / off).toFixed(2)})`,
  );
}
