import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HistoryPage } from '@livelog/protocol';
import { cliPath, spawnServer } from '@livelog/test-utils';

/**
 * Scenario `follow` (LIVELOG_BENCH_ONLY=follow): lines per second from a 1,000,000-line file to the
 * last durable acknowledgement with `livelog pipe --follow FILE --from-start --once --checkpoint`,
 * next to `livelog pipe < FILE` of the same file (process start included in both), each against a
 * fresh `livelog serve` on SQLite, interleaved over LIVELOG_BENCH_ROUNDS rounds (default 3), medians
 * compared. Target: follow ≥ 80% of pipe. Every run checks the server stored exactly the lines.
 * LIVELOG_BENCH_FOLLOW_LINES sets the line count.
 */
export async function followScenario(): Promise<string[]> {
  const lines = Number(process.env.LIVELOG_BENCH_FOLLOW_LINES ?? 1_000_000);
  const rounds = Number(process.env.LIVELOG_BENCH_ROUNDS ?? 3);
  const scratch = mkdtempSync(join(tmpdir(), 'livelog-bench-follow-'));
  const cli = cliPath();
  try {
    const file = join(scratch, 'app.log');
    let text = '';
    for (let i = 0; i < lines; i++) text += `2026-12-05T21:00:00.000Z INFO request ${i} served in ${i % 97} ms route=/api/orders\n`;
    writeFileSync(file, text);
    const runs: Record<'pipe' | 'follow', { seconds: number; checked: string }[]> = { pipe: [], follow: [] };
    const measure = async (name: string, start: (url: string) => ChildProcess) => {
      const server = await spawnServer({ dataDir: join(scratch, `data-${name}`), logLevel: 'warn' });
      // Stopped on failure too: a bench leaves no server behind.
      try {
        const started = performance.now();
        const code = await runToEnd(start(server.url));
        const seconds = (performance.now() - started) / 1000;
        if (code !== 0) throw new Error(`${name}: livelog pipe exited ${code}`);
        const page = (await (await fetch(`${server.url}/api/logs?limit=1`)).json()) as HistoryPage;
        const last = page.entries[0]?.seq ?? 0;
        return { seconds, checked: last === lines ? `${lines} stored` : `FAIL: ${last} stored, expected ${lines}` };
      } finally {
        await server.kill('SIGTERM');
      }
    };
    for (let round = 1; round <= rounds; round++) {
      runs.pipe.push(
        await measure(`pipe-${round}`, (url) =>
          spawn(process.execPath, [cli, 'pipe', '--server', url, '--source', 'bench'], {
            stdio: [openSync(file, 'r'), 'inherit', 'inherit'],
          }),
        ),
      );
      runs.follow.push(
        await measure(`follow-${round}`, (url) =>
          spawn(
            process.execPath,
            [cli, 'pipe', '--server', url, '--follow', file, '--from-start', '--once', '--checkpoint', join(scratch, `cp-${round}`)],
            { stdio: ['ignore', 'inherit', 'inherit'] },
          ),
        ),
      );
    }
    const median = (list: { seconds: number }[]): number =>
      [...list].sort((a, b) => a.seconds - b.seconds)[Math.floor(list.length / 2)]?.seconds ?? Number.NaN;
    const pipe = median(runs.pipe);
    const follow = median(runs.follow);
    const rate = (seconds: number): string => `${Math.round(lines / seconds).toLocaleString('en-US')}/s`;
    const ratio = pipe / follow;
    return [
      `follow: livelog pipe < FILE ${rate(pipe)} (${runs.pipe.map((run) => run.seconds.toFixed(1)).join(', ')} s; ${[...new Set(runs.pipe.map((run) => run.checked))].join('; ')})`,
      `follow: livelog pipe --follow FILE --once ${rate(follow)} (${runs.follow.map((run) => run.seconds.toFixed(1)).join(', ')} s; ${[...new Set(runs.follow.map((run) => run.checked))].join('; ')})`,
      `follow: --follow is ${(ratio * 100).toFixed(0)}% of pipe (target ≥ 80%): ${ratio >= 0.8 ? 'PASS' : 'FAIL'}`,
    ];
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function runToEnd(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  });
}
