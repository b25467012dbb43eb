import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { RefusalLog } from './refusal-log.js';

describe('RefusalLog', () => {
  it('logs one warn line per code and interval, without a stack, counting the refusals between lines', () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
        done();
      },
    });
    let now = 0;
    const log = new RefusalLog(pino({ level: 'trace' }, sink), { intervalMs: 1000, now: () => now });
    for (let i = 0; i < 5; i++) log.refused('LIVELOG_ERR_STREAM_TOO_MANY_READERS', 'too many readers');
    log.refused('LIVELOG_ERR_INGEST_BUSY', 'busy');
    now = 999;
    log.refused('LIVELOG_ERR_STREAM_TOO_MANY_READERS', 'too many readers');
    now = 1000;
    log.refused('LIVELOG_ERR_STREAM_TOO_MANY_READERS', 'too many readers');
    expect(lines.map((line) => [line.level, line.code, line.refused])).toEqual([
      [40, 'LIVELOG_ERR_STREAM_TOO_MANY_READERS', 1],
      [40, 'LIVELOG_ERR_INGEST_BUSY', 1],
      [40, 'LIVELOG_ERR_STREAM_TOO_MANY_READERS', 6],
    ]);
    for (const line of lines) {
      expect(line.err).toBeUndefined();
      expect(JSON.stringify(line)).not.toContain('stack');
    }
  });
});
