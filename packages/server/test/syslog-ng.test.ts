import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LogEntry } from '@livelog/protocol';
import { freePort, type SpawnedServer, spawnServer, tempDir, waitFor } from '@livelog/test-utils';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * A real syslog-ng daemon (own config, persist file, pid file and control socket; no system
 * sources) forwards to `livelog serve --syslog` with the two destinations the agents guide gives:
 * `syslog()` (RFC 5424, octet-counted) and `network()` (RFC 3164, newline-framed), 5,000 lines
 * each, while livelog is restarted once (SIGTERM, same data directory and ports). syslog-ng holds
 * what livelog could not take in its destination queue and reconnects (time-reopen 1 s); every line
 * must be stored.
 *
 * Debian's syslog-ng-core conflicts with the rsyslog package the rsyslog test needs, so
 * scripts/ensure-input-tools.mjs unpacks it under node_modules/.cache unless it is installed.
 */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const UNPACKED = join(ROOT, 'node_modules', '.cache', 'input-tools', 'syslog-ng');
const SYSLOG_NG = existsSync('/usr/sbin/syslog-ng')
  ? { bin: '/usr/sbin/syslog-ng', env: {}, args: [] as string[] }
  : existsSync(join(UNPACKED, 'usr', 'sbin', 'syslog-ng'))
    ? {
        bin: join(UNPACKED, 'usr', 'sbin', 'syslog-ng'),
        env: { LD_LIBRARY_PATH: join(UNPACKED, 'usr', 'lib', 'syslog-ng') },
        // Its modules sit in a directory named for the version (3.38 on Debian 12).
        args: [
          `--module-path=${readdirSync(join(UNPACKED, 'usr', 'lib', 'syslog-ng'))
            .filter((name) => /^\d+\.\d+$/.test(name))
            .map((name) => join(UNPACKED, 'usr', 'lib', 'syslog-ng', name))
            .join(':')}`,
        ],
      }
    : undefined;

const PER_DESTINATION = 5_000;
let dir: Awaited<ReturnType<typeof tempDir>> | undefined;
let syslogNg: ChildProcess | undefined;
let server: SpawnedServer | undefined;
afterAll(async () => {
  syslogNg?.kill('SIGKILL');
  await server?.kill('SIGKILL');
  await dir?.remove();
});

async function storedMessages(url: string): Promise<LogEntry[]> {
  const entries: LogEntry[] = [];
  let position = 'from=start';
  for (;;) {
    const page = (await (await fetch(`${url}/api/logs?${position}&limit=1000&source=ngtest`)).json()) as {
      entries: LogEntry[];
      hasMore: boolean;
    };
    entries.push(...page.entries);
    const last = page.entries[page.entries.length - 1];
    if (!page.hasMore || last === undefined) return entries;
    position = `after=${encodeURIComponent(last.id)}`;
  }
}

async function connectTo(port: number): Promise<Socket> {
  return (await waitFor(
    () =>
      new Promise<Socket | false>((resolve) => {
        const attempt = connect(port, '127.0.0.1');
        attempt.once('connect', () => resolve(attempt));
        attempt.once('error', () => resolve(false));
      }),
    { timeoutMs: 20_000, what: `syslog-ng listening on ${port}` },
  )) as Socket;
}

describe.skipIf(SYSLOG_NG === undefined)('syslog-ng forwarding to livelog', () => {
  it('stores every line of both destinations (RFC 5424 octet-counted, RFC 3164 newline) across a livelog restart', async () => {
    const ng = SYSLOG_NG as NonNullable<typeof SYSLOG_NG>;
    dir = await tempDir('livelog-syslog-ng-');
    const syslogPort = await freePort();
    const in5424 = await freePort();
    const in3164 = await freePort();
    const args = ['--syslog', `tcp://127.0.0.1:${syslogPort}`];
    server = await spawnServer({ dataDir: join(dir.path, 'data'), args, logLevel: 'warn' });
    const port = server.port;
    const config = join(dir.path, 'syslog-ng.conf');
    // The destinations are the agents guide's, plus persist-name() (two destinations to one host and
    // port need one each), time-reopen(1) (default 60 s) to keep the test short and a queue
    // (log-fifo-size) large enough for the outage.
    writeFileSync(
      config,
      `@version: 3.35
options { keep-hostname(yes); stats-freq(0); time-reopen(1); log-fifo-size(20000); };
source s_5424 { network(ip("127.0.0.1") port(${in5424}) transport("tcp")); };
source s_3164 { network(ip("127.0.0.1") port(${in3164}) transport("tcp")); };
destination d_livelog_5424 { syslog("127.0.0.1" transport("tcp") port(${syslogPort}) persist-name("livelog-5424")); };
destination d_livelog_3164 { network("127.0.0.1" transport("tcp") port(${syslogPort}) persist-name("livelog-3164")); };
log { source(s_5424); destination(d_livelog_5424); };
log { source(s_3164); destination(d_livelog_3164); };
`,
    );
    syslogNg = spawn(
      ng.bin,
      [
        '-F',
        '-e',
        '--no-caps',
        ...ng.args,
        '-f',
        config,
        '-R',
        join(dir.path, 'persist'),
        '-p',
        join(dir.path, 'pid'),
        '-c',
        join(dir.path, 'ctl'),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...ng.env } },
    );
    let ngOutput = '';
    syslogNg.stdout?.on('data', (chunk: Buffer) => {
      ngOutput += chunk.toString();
    });
    syslogNg.stderr?.on('data', (chunk: Buffer) => {
      ngOutput += chunk.toString();
    });
    const a = await connectTo(in5424);
    const b = await connectTo(in3164);
    // A source syslog-ng closes shows as `destroyed` in write() below, with what it said.
    for (const socket of [a, b]) socket.on('error', () => undefined);
    const write = async (socket: Socket, text: string): Promise<void> => {
      if (socket.destroyed) throw new Error(`syslog-ng closed its source; it said: ${ngOutput.slice(0, 2000)}`);
      if (!socket.write(text)) await new Promise((resolve) => socket.once('drain', resolve).once('close', resolve));
    };
    for (let i = 0; i < PER_DESTINATION; i++) {
      await write(a, `<14>Dec  5 21:00:00 host ngtest: ng5424 line ${i}\n`);
      await write(b, `<12>Dec  5 21:00:00 host ngtest: ng3164 line ${i}\n`);
      if (i === 2_000) {
        await server.kill('SIGTERM');
        server = await spawnServer({ dataDir: join(dir.path, 'data'), port, args, logLevel: 'warn' });
      }
    }
    a.end();
    b.end();
    const url = server.url;
    await waitFor(async () => (await storedMessages(url)).length >= 2 * PER_DESTINATION, {
      timeoutMs: 60_000,
      intervalMs: 500,
    }).catch(() => undefined);
    const entries = await storedMessages(url);
    // Exact: syslog-ng's syslog() destination puts a LF inside each counted frame, which is dropped.
    const messages = entries.map((entry) => entry.msg);
    const seen = new Set(messages);
    const expected = [
      ...Array.from({ length: PER_DESTINATION }, (_, i) => `ng5424 line ${i}`),
      ...Array.from({ length: PER_DESTINATION }, (_, i) => `ng3164 line ${i}`),
    ];
    const missing = expected.filter((line) => !seen.has(line));
    expect(missing.slice(0, 5), `${missing.length} lines missing; syslog-ng said: ${ngOutput.slice(0, 2000)}`).toEqual([]);
    // Each destination's lines in order, and each path's format as mapped: 5424 keeps the severity
    // of the original priority (info), 3164 too (warning → warn).
    for (const [prefix, level] of [
      ['ng5424', 'info'],
      ['ng3164', 'warn'],
    ] as const) {
      const own = entries.filter((entry) => entry.msg.startsWith(prefix));
      const order = own.map((entry) => Number(entry.msg.split(' ').pop()));
      const firstSeen = order.filter((n, i) => order.indexOf(n) === i);
      expect(firstSeen).toEqual(Array.from({ length: PER_DESTINATION }, (_, i) => i));
      expect(new Set(own.map((entry) => entry.level))).toEqual(new Set([level]));
    }
    const duplicates = messages.length - seen.size;
    // Plain TCP syslog is at-least-once across a reconnect (see the rsyslog test): counted, not failed.
    process.stderr.write(`syslog-ng test: ${messages.length} stored, ${seen.size} distinct, ${duplicates} duplicate(s)\n`);
  }, 180_000);
});
