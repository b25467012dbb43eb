// Manual measurement for issue 13 (not part of `npm run bench`): a 300k-line SQLite store, ingest
// with and without the search index, and GET /api/logs?q=<rare word> with the index (FTS) and without
// (the scan). Run after `npm run build`: node bench/manual/search-300k.mjs [lines]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteDatabase } from '@livelog/core';
import { createServer, resolveServerConfig } from '@livelog/server';

const LINES = Number(process.argv[2] ?? 300_000);
const BATCH = 1000;
const RARE = new Set([Math.floor(LINES * 0.1), Math.floor(LINES * 0.5), Math.floor(LINES * 0.9)]);
const levels = ['debug', 'info', 'info', 'info', 'warn', 'error'];

function entry(i) {
  const msg = RARE.has(i)
    ? `payment zebrafish declined for order ${i}`
    : `GET /api/items/${i % 997} ${i % 50 === 0 ? 500 : 200} in ${i % 300}ms request ${(i * 2654435761) % 4294967296}`;
  return {
    time: 1_733_400_000_000 + i * 10,
    level: levels[i % levels.length],
    source: `svc-${i % 7}`,
    msg,
    fields: { user: { id: i % 5000, name: `user${i % 5000}` }, http: { status: i % 50 === 0 ? 500 : 200 }, region: 'eu-west-1' },
  };
}

async function fill(dir, searchIndex) {
  const db = new SqliteDatabase({ dir, searchIndex });
  await db.open();
  const stream = await db.openStream('default');
  const started = performance.now();
  for (let i = 0; i < LINES; i += BATCH) {
    await stream.append(Array.from({ length: Math.min(BATCH, LINES - i) }, (_, j) => entry(i + j + 1)));
  }
  const seconds = (performance.now() - started) / 1000;
  await db.close();
  return LINES / seconds;
}

async function search(dir, searchIndex, q, runs, allPages = true) {
  const store = new SqliteDatabase({ dir, searchIndex });
  const server = await createServer(resolveServerConfig({ port: 0, logLevel: 'silent', data: dir }), { store });
  const url = await server.listen();
  const firstPage = [];
  const whole = [];
  let found = 0;
  for (let r = 0; r < runs; r++) {
    const started = performance.now();
    let before = '';
    let pages = 0;
    found = 0;
    for (;;) {
      const reply = await fetch(`${url}/api/logs?limit=200&q=${encodeURIComponent(q)}${before}`);
      const page = await reply.json();
      if (pages++ === 0) firstPage.push(performance.now() - started);
      found += page.entries.length;
      if (!page.hasMore || !allPages) break;
      before = `&before=${encodeURIComponent(page.next)}`;
    }
    whole.push(performance.now() - started);
  }
  await server.close();
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  return {
    q,
    found,
    firstPageMs: median(firstPage).toFixed(1),
    allPagesMs: median(whole).toFixed(1),
    maxMs: Math.max(...whole).toFixed(1),
  };
}

const root = process.env.KEEP_DIR ?? (await mkdtemp(join(tmpdir(), 'livelog-search-bench-')));
try {
  const plainRate = process.env.NO_SCAN === undefined ? await fill(join(root, 'plain'), false) : 1;
  const indexedRate = await fill(join(root, 'indexed'), true);
  console.log(
    `ingest ${LINES} lines in batches of ${BATCH}: ${plainRate.toFixed(0)} entries/s without the index, ${indexedRate.toFixed(0)} with (${((indexedRate / plainRate) * 100).toFixed(0)}%)`,
  );
  const dir = join(root, 'indexed');
  for (const q of ['zebrafish', '"zebrafish declined"', 'zebrafish level:error', 'payment']) {
    console.log('FTS ', JSON.stringify(await search(dir, true, q, 9)));
  }
  // A common term: its first page only.
  console.log('FTS ', JSON.stringify(await search(dir, true, 'items', 9, false)));
  // The same file without the index (searchIndex:false drops it): the scan it replaced.
  if (process.env.NO_SCAN === undefined)
    for (const q of ['zebrafish', 'payment']) console.log('scan', JSON.stringify(await search(dir, false, q, 3)));
} finally {
  if (process.env.KEEP_DIR === undefined) await rm(root, { recursive: true, force: true });
}
