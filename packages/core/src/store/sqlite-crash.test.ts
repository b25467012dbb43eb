import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LogEntry } from '@livelog/protocol';
import Database from 'better-sqlite3';
import { expect, it } from 'vitest';
import { SqliteDatabase } from './sqlite-database.js';

// A writer process acknowledging appends to 40 streams and ends of some, killed with SIGKILL: every
// acknowledged entry is in its own stream, in order, and every acknowledged end survives.
const WRITER = `(async () => {
const { SqliteDatabase } = await import(process.env.LIVELOG_CORE);
const database = new SqliteDatabase({ dir: process.env.LIVELOG_DIR, durability: process.env.LIVELOG_DURABILITY });
await database.open();
const streams = await Promise.all(Array.from({ length: 40 }, (_, i) => database.openStream('job-' + i)));
let round = 0;
for (;;) {
  round++;
  await Promise.all(streams.map(async (stream, i) => {
    if (stream.ended()) return;
    if (i % 4 === 0 && round === 5 + i) {
      const end = await stream.end({ exitCode: i });
      process.stdout.write('end ' + stream.name + ' ' + end.exitCode + '\\n');
      return;
    }
    const batch = Array.from({ length: 5 }, (_, n) => ({ time: 1, level: 'info', source: 'w', msg: stream.name + ' ' + (round * 5 + n) }));
    const result = await stream.append(batch);
    process.stdout.write('ack ' + stream.name + ' ' + result.lastSeq + '\\n');
  }));
}
})();
`;

it.each(['normal', 'full'] as const)(
  'keeps every acknowledged entry and end of many streams across a kill -9 (durability %s)',
  async (durability) => {
    const dir = await mkdtemp(join(tmpdir(), 'livelog-sqlite-crash-'));
    try {
      const moduleUrl = new URL('../../dist/index.js', import.meta.url).href;
      const child = spawn(process.execPath, ['-e', WRITER], {
        stdio: ['ignore', 'pipe', 'inherit'],
        env: { ...process.env, LIVELOG_CORE: moduleUrl, LIVELOG_DIR: dir, LIVELOG_DURABILITY: durability },
      });
      const acked = new Map<string, number>();
      const ended = new Map<string, number>();
      let text = '';
      await new Promise<void>((resolve, reject) => {
        child.on('error', reject);
        child.on('exit', () => resolve());
        child.stdout.on('data', (chunk: Buffer) => {
          text += chunk.toString();
          let newline = text.indexOf('\n');
          while (newline >= 0) {
            const [kind, name, value] = text.slice(0, newline).split(' ') as [string, string, string];
            text = text.slice(newline + 1);
            if (kind === 'ack') acked.set(name, Math.max(acked.get(name) ?? 0, Number(value)));
            else ended.set(name, Number(value));
            newline = text.indexOf('\n');
          }
          // Mid-run: six streams ended (round 25 on), the others still being written.
          if (ended.size >= 6) child.kill('SIGKILL');
        });
      });
      expect(child.signalCode).toBe('SIGKILL');
      const check = async (): Promise<void> => {
        const database = new SqliteDatabase({ dir });
        await database.open();
        try {
          expect(acked.size).toBe(40);
          for (const [name, lastSeq] of acked) {
            const stream = await database.stream(name);
            if (stream === undefined) throw new Error(`${name} is gone`);
            const entries = (await stream.readAfter(0, 100_000)).map((row) => JSON.parse(row.json) as LogEntry);
            const seqs = entries.map((entry) => entry.seq);
            // Everything acknowledged, gap-free from 1; perhaps more (committed, not yet acknowledged).
            expect(seqs.slice(0, lastSeq)).toEqual(Array.from({ length: lastSeq }, (_, i) => i + 1));
            expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
            expect(entries.every((entry) => entry.msg.startsWith(`${name} `) && entry.id.startsWith(`${stream.streamId}:`))).toBe(true);
          }
          for (const [name, exitCode] of ended) {
            const stream = await database.stream(name);
            expect(stream?.ended(), name).toMatchObject({ exitCode });
            await expect(stream?.append([{ time: 1, level: 'info', source: 'w', msg: 'late' }])).rejects.toMatchObject({
              code: 'LIVELOG_ERR_STREAM_ENDED',
            });
          }
        } finally {
          await database.close();
        }
      };
      await check();
      // The check catches a planted loss: one acknowledged entry removed behind the store's back.
      const raw = new Database(join(dir, 'livelog.db'));
      raw.prepare("DELETE FROM entries WHERE seq = (SELECT ((key << 43) | 3) FROM streams WHERE name = 'job-1')").run();
      raw.close();
      await expect(check()).rejects.toThrow();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
  60_000,
);
