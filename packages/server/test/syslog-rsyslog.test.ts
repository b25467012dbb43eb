import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { LogEntry } from '@livelog/protocol';
import { freePort, type SpawnedServer, spawnServer, tempDir, waitFor } from '@livelog/test-utils';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * A real rsyslog daemon (own config, pid file and work directory; no imuxsock, so the host's
 * /dev/log is left alone) forwards 10,000 lines over TCP to `livelog serve --syslog` while livelog
 * is restarted once (SIGTERM, same data directory and ports). rsyslog's queue holds what livelog
 * could not take while down; livelog's shutdown sends FIN and reads on, so rsyslog reconnects.
 * Every line must be stored.
 */
const RSYSLOGD = '/usr/sbin/rsyslogd';
let dir: Awaited<ReturnType<typeof tempDir>> | undefined;
let rsyslog: ChildProcess | undefined;
let server: SpawnedServer | undefined;
afterAll(async () => {
  rsyslog?.kill('SIGKILL');
  await server?.kill('SIGKILL');
  await dir?.remove();
});

async function storedMessages(url: string): Promise<string[]> {
  const messages: string[] = [];
  let position = 'from=start';
  for (;;) {
    const page = (await (await fetch(`${url}/api/logs?${position}&limit=1000&source=rsyslogtest`)).json()) as {
      entries: LogEntry[];
      hasMore: boolean;
    };
    // rsyslog's %msg% keeps the space that followed "tag:" in the RFC 3164 line it received.
    for (const entry of page.entries) messages.push(entry.msg.trim());
    const last = page.entries[page.entries.length - 1];
    if (!page.hasMore || last === undefined) return messages;
    position = `after=${encodeURIComponent(last.id)}`;
  }
}

describe.skipIf(!existsSync(RSYSLOGD))('rsyslog forwarding to livelog', () => {
  it('stores all 10,000 lines across a livelog restart', async () => {
    dir = await tempDir('livelog-rsyslog-');
    const syslogPort = await freePort();
    const inPort = await freePort();
    const args = ['--syslog', `tcp://127.0.0.1:${syslogPort}`];
    server = await spawnServer({ dataDir: join(dir.path, 'data'), args, logLevel: 'warn' });
    const port = server.port;
    const config = join(dir.path, 'rsyslog.conf');
    writeFileSync(
      config,
      `global(workDirectory="${dir.path}")
module(load="imtcp")
input(type="imtcp" port="${inPort}" address="127.0.0.1")
action(type="omfwd" target="127.0.0.1" port="${syslogPort}" protocol="tcp" TCP_Framing="octet-counted"
       template="RSYSLOG_SyslogProtocol23Format"
       queue.type="LinkedList" queue.filename="livelog-fwd" queue.saveOnShutdown="on"
       action.resumeRetryCount="-1" action.resumeInterval="1")
`,
    );
    rsyslog = spawn(RSYSLOGD, ['-n', '-f', config, '-i', join(dir.path, 'rsyslog.pid')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let rsyslogOutput = '';
    rsyslog.stdout?.on('data', (chunk: Buffer) => {
      rsyslogOutput += chunk.toString();
    });
    rsyslog.stderr?.on('data', (chunk: Buffer) => {
      rsyslogOutput += chunk.toString();
    });
    const socket = (await waitFor(
      () =>
        new Promise<ReturnType<typeof connect> | false>((resolve) => {
          const attempt = connect(inPort, '127.0.0.1');
          attempt.once('connect', () => resolve(attempt));
          attempt.once('error', () => resolve(false));
        }),
      { timeoutMs: 20_000 },
    )) as ReturnType<typeof connect>;
    const total = 10_000;
    for (let i = 0; i < total; i++) {
      if (!socket.write(`<14>Dec  5 21:00:00 host rsyslogtest: rsyslog line ${i}\n`))
        await new Promise((resolve) => socket.once('drain', resolve));
      if (i === 4000) {
        // Restart livelog in the middle of the stream: graceful stop, same data, same ports.
        await server.kill('SIGTERM');
        server = await spawnServer({ dataDir: join(dir.path, 'data'), port, args, logLevel: 'warn' });
      }
    }
    socket.end();
    const url = server.url;
    await waitFor(async () => (await storedMessages(url)).length >= total, { timeoutMs: 60_000 }).catch(() => undefined);
    const messages = await storedMessages(url);
    const seen = new Set(messages);
    const missing = Array.from({ length: total }, (_, i) => `rsyslog line ${i}`).filter((line) => !seen.has(line));
    expect(missing.slice(0, 5), rsyslogOutput.slice(0, 2000)).toEqual([]);
    // Plain TCP syslog has no acknowledgements: a message rsyslog re-sends after a broken connection may come twice.
    const duplicates = messages.length - seen.size;
    process.stderr.write(`rsyslog test: ${messages.length} stored, ${duplicates} duplicate(s)\n`);
  }, 120_000);
});
