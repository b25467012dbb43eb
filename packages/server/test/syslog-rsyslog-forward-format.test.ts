import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import type { LogEntry } from '@livelog/protocol';
import { freePort, type SpawnedServer, spawnServer, storedEntries, tempDir, waitFor } from '@livelog/test-utils';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * rsyslog's RSYSLOG_ForwardFormat, the format the agents guide names for RFC 3164 with a precise
 * timestamp: `<PRI>2026-12-07T18:09:03.336149+02:00 HOST TAG MSG`, newline-framed over TCP (omfwd's
 * default framing). A real rsyslog daemon relays lines the test writes to its imtcp input; livelog
 * must read the RFC 3339 timestamp as the time (not the TAG: the source was once "2026-12-07T18"
 * and the message began "09:03.336149+02:00 HOST …"), the hostname and the tag, also the TAG
 * rsyslog writes without a colon for a message it got as RFC 5424 (once the hostname was the source
 * and `fwdtest[1] forwarded line 1` the message).
 */
const RSYSLOGD = '/usr/sbin/rsyslogd';
const TOTAL = 300;
let dir: Awaited<ReturnType<typeof tempDir>> | undefined;
let rsyslog: ChildProcess | undefined;
let server: SpawnedServer | undefined;
afterAll(async () => {
  rsyslog?.kill('SIGKILL');
  await server?.kill('SIGKILL');
  await dir?.remove();
});

/** `ms` as RFC 3339 in +02:00 with microseconds, as rsyslog's date-rfc3339 writes it. */
function rfc3339(ms: number, micros: number): string {
  const local = new Date(ms + 2 * 3_600_000).toISOString().slice(0, 19);
  return `${local}.${String((ms % 1000) * 1000 + micros).padStart(6, '0')}+02:00`;
}

describe.skipIf(!existsSync(RSYSLOGD))('rsyslog RSYSLOG_ForwardFormat to livelog', () => {
  it(`stores ${TOTAL} relayed lines once each, with the RFC 3339 time, hostname and tag`, async () => {
    dir = await tempDir('livelog-rsyslog-fwd-');
    const syslogPort = await freePort();
    const inPort = await freePort();
    server = await spawnServer({ dataDir: join(dir.path, 'data'), args: ['--syslog', `tcp://127.0.0.1:${syslogPort}`], logLevel: 'warn' });
    const config = join(dir.path, 'rsyslog.conf');
    writeFileSync(
      config,
      `global(workDirectory="${dir.path}")
module(load="imtcp")
input(type="imtcp" port="${inPort}" address="127.0.0.1")
action(type="omfwd" target="127.0.0.1" port="${syslogPort}" protocol="tcp" template="RSYSLOG_ForwardFormat"
       action.resumeRetryCount="-1" action.resumeInterval="1")
`,
    );
    rsyslog = spawn(RSYSLOGD, ['-n', '-f', config, '-i', join(dir.path, 'rsyslog.pid')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let rsyslogOutput = '';
    rsyslog.stderr?.on('data', (chunk: Buffer) => {
      rsyslogOutput += chunk.toString();
    });
    const socket = (await waitFor(
      () =>
        new Promise<Socket | false>((resolve) => {
          const attempt = connect(inPort, '127.0.0.1');
          attempt.once('connect', () => resolve(attempt));
          attempt.once('error', () => resolve(false));
        }),
      { timeoutMs: 20_000 },
    )) as Socket;
    // Recent times (retention keeps 7 days); line i at BASE + i ms, with microseconds rsyslog keeps.
    const base = Date.now() - 3_600_000;
    for (let i = 0; i < TOTAL; i++) {
      // Even lines reach rsyslog as RFC 3164 (`tag[pid]:`), odd ones as RFC 5424, whose TAG rsyslog
      // forwards as `fwdtest[i]` with no colon (RFC 3164 ends a TAG at any non-alphanumeric).
      const line =
        i % 2 === 0
          ? `<163>${rfc3339(base + i, i % 1000)} relay-host fwdtest[${i}]: forwarded line ${i}\n`
          : `<14>1 ${rfc3339(base + i, i % 1000)} relay-host fwdtest ${i} - - forwarded line ${i}\n`;
      if (!socket.write(line)) await new Promise((resolve) => socket.once('drain', resolve));
    }
    socket.end();
    const url = server.url;
    await waitFor(async () => (await storedEntries(url)).length >= TOTAL, { timeoutMs: 20_000 }).catch(() => undefined);
    const entries = await storedEntries(url);
    expect(entries.length, `rsyslog said: ${rsyslogOutput.slice(0, 2000)}`).toBe(TOTAL);
    for (let i = 0; i < TOTAL; i++) {
      const entry = entries[i] as LogEntry;
      const where = `line ${i}: ${JSON.stringify(entry)}`;
      // rsyslog's %msg% keeps the space that followed "tag:" in the line it received.
      expect(entry.msg.trim(), where).toBe(`forwarded line ${i}`);
      expect(entry.source, where).toBe('fwdtest');
      expect(entry.time, where).toBe(base + i);
      expect(entry.level, where).toBe(i % 2 === 0 ? 'error' : 'info');
      expect(entry.fields, where).toEqual({
        facility: i % 2 === 0 ? 'local4' : 'user',
        severity: i % 2 === 0 ? 'err' : 'info',
        hostname: 'relay-host',
        procid: String(i),
      });
    }
  }, 30_000);
});
