import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHROMIUM_ARGS, chromiumPath, spawnServer } from '@livelog/test-utils';
import { chromium, type Page } from 'playwright-core';

/**
 * Console benchmark (issue 4): the dashboard in Debian's Chromium with 100,000 lines loaded while
 * 5,000 lines/s arrive. Measures frame time (requestAnimationFrame deltas) while following and while
 * scrolling, and the JS heap after a forced GC. Targets: p95 frame ≤ 20 ms, heap ≤ 300 MB.
 *
 * Run after `npm run build`: `node bench/dist/console-frames.js` (env: CONSOLE_BENCH_LINES,
 * CONSOLE_BENCH_RATE, CONSOLE_BENCH_SECONDS, LIVELOG_CHROMIUM).
 */
const LINES = Number(process.env.CONSOLE_BENCH_LINES ?? 100_000);
const RATE = Number(process.env.CONSOLE_BENCH_RATE ?? 5_000);
const SECONDS = Number(process.env.CONSOLE_BENCH_SECONDS ?? 8);
const LEVELS = ['info', 'debug', 'warn', 'error', 'info', 'trace'];

function lines(from: number, count: number): string {
  let out = '';
  for (let n = from; n < from + count; n++) {
    const record: Record<string, unknown> = {
      msg:
        n % 9 === 0
          ? `\u001b[1;31mfailed\u001b[0m request ${n}: upstream \u001b[33mtimeout\u001b[0m after 30000ms`
          : `GET /api/items/${n} 200 ${n % 97}ms user=${n % 13} trace=${(n * 2654435761).toString(16)}`,
      level: LEVELS[n % LEVELS.length],
      source: ['api', 'worker', 'db', 'cron'][n % 4],
    };
    if (n % 4 === 0) record.req = { id: n, method: 'GET', headers: { host: 'example.test' } };
    out += `${JSON.stringify(record)}\n`;
  }
  return out;
}

async function post(base: string, body: string): Promise<void> {
  const response = await fetch(`${base}/api/logs`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body });
  if (!response.ok) throw new Error(`ingest: HTTP ${response.status}`);
  await response.arrayBuffer();
}

/** Frame deltas (ms) recorded in the page for `seconds`, while `step` runs each frame (scrolling). */
async function frames(page: Page, seconds: number, scroll: boolean): Promise<number[]> {
  return page.evaluate(`new Promise((resolve) => {
    const viewport = document.querySelector('livelog-app').console.shadowRoot.querySelector('.viewport');
    const deltas = [];
    let last = performance.now();
    const end = last + ${seconds * 1000};
    let direction = -1;
    const frame = (now) => {
      deltas.push(now - last);
      last = now;
      if (${scroll}) {
        // A steady flick through the list, bouncing at the ends: every frame shows new rows.
        if (viewport.scrollTop <= 0) direction = 1;
        else if (viewport.scrollTop + viewport.clientHeight >= viewport.scrollHeight - 1) direction = -1;
        viewport.scrollTop += direction * 240;
      }
      if (now < end) requestAnimationFrame(frame);
      else resolve(deltas.slice(1));
    };
    requestAnimationFrame(frame);
  })`) as Promise<number[]>;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

function summary(name: string, deltas: number[]): string {
  const over = deltas.filter((delta) => delta > 20).length;
  return `${name.padEnd(28)} frames ${String(deltas.length).padStart(4)}  p50 ${percentile(deltas, 50).toFixed(1).padStart(5)} ms  p95 ${percentile(
    deltas,
    95,
  )
    .toFixed(1)
    .padStart(5)} ms  p99 ${percentile(deltas, 99).toFixed(1).padStart(5)} ms  max ${Math.max(...deltas)
    .toFixed(1)
    .padStart(
      6,
    )} ms  >20 ms ${((100 * over) / deltas.length).toFixed(1)}%  ${percentile(deltas, 95) <= 20 ? 'PASS' : 'FAIL'} (p95 ≤ 20 ms)`;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'livelog-console-bench-'));
  const server = await spawnServer({ dataDir: dir, logLevel: 'warn', args: ['--store', 'memory', '--retain-bytes', 'unlimited'] });
  const base = server.url;
  const browser = await chromium.launch({
    executablePath: chromiumPath(),
    args: [...CHROMIUM_ARGS],
  });
  let feeding = true;
  let fed = 0;
  try {
    for (let sent = 0; sent < LINES; sent += 1000) await post(base, lines(sent + 1, Math.min(1000, LINES - sent)));
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const loadStarted = performance.now();
    await page.goto(`${base}/?tail=${LINES}`);
    await page.waitForFunction(`document.querySelector('livelog-app')?.console?.getStats().loaded >= ${LINES}`, undefined, {
      timeout: 120_000,
      polling: 200,
    });
    const loadSeconds = (performance.now() - loadStarted) / 1000;

    // 5,000 lines/s in batches every 50 ms, as several producers posting at once would.
    const batch = Math.max(1, Math.round(RATE / 20));
    const feeder = (async () => {
      let next = LINES + 1;
      const started = performance.now();
      while (feeding) {
        await post(base, lines(next, batch));
        next += batch;
        fed += batch;
        const due = started + (fed / RATE) * 1000;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const receivedBefore = (await page.evaluate(`document.querySelector('livelog-app').console.getStats().received`)) as number;
    const followAt = performance.now();
    const following = await frames(page, SECONDS, false);
    const receivedAfter = (await page.evaluate(`document.querySelector('livelog-app').console.getStats().received`)) as number;
    const arrived = (receivedAfter - receivedBefore) / ((performance.now() - followAt) / 1000);
    await page.evaluate(`document.querySelector('livelog-app').console.pause()`);
    const scrolling = await frames(page, SECONDS, true);
    feeding = false;
    await feeder;

    const cdp = await page.context().newCDPSession(page);
    await cdp.send('HeapProfiler.collectGarbage');
    const heap = (await cdp.send('Runtime.getHeapUsage')) as { usedSize: number; totalSize: number };
    const stats = (await page.evaluate(`document.querySelector('livelog-app').console.getStats()`)) as { loaded: number; rejected: number };
    const mb = heap.usedSize / 1024 / 1024;

    console.log('');
    console.log(
      `livelog console bench — ${new Date().toISOString()} — Chromium headless (${await browser.version()}), Node ${process.version}`,
    );
    console.log(
      `${LINES.toLocaleString('en-US')} lines loaded in ${loadSeconds.toFixed(1)} s; arriving at ${arrived.toFixed(0)} lines/s (target ${RATE})`,
    );
    console.log(summary('following (live tail)', following));
    console.log(summary('scrolling (paused, 240 px/f)', scrolling));
    console.log(
      `${'JS heap after GC'.padEnd(28)} ${mb.toFixed(1)} MB used (${(heap.totalSize / 1024 / 1024).toFixed(1)} MB allocated), ${stats.loaded.toLocaleString('en-US')} lines held  ${mb <= 300 ? 'PASS' : 'FAIL'} (≤ 300 MB)`,
    );
    console.log(`rejected (duplicate or out-of-order) entries: ${stats.rejected}`);
  } finally {
    feeding = false;
    await browser.close();
    await server.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
