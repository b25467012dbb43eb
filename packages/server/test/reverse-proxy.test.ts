import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import type { LogEntry } from '@livelog/protocol';
import { checkSeqs, freePort, ndjson, postLogs, type SpawnedServer, SseParser, spawnServer, tempDir, waitFor } from '@livelog/test-utils';
import { EventSource } from 'eventsource';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * A real nginx in front of `livelog serve`, configured with the nginx block of
 * docs/guides/reverse-proxy.md as written (only its addresses are pointed at this test's ports), and
 * a bare `proxy_pass` with `gzip on` for text/event-stream, the configuration a user writes without
 * reading the guide; and HAProxy with the guide's HAProxy block. scripts/ensure-input-tools.mjs
 * installs nginx-light and haproxy; the tests of a proxy that is not installed skip.
 */
const NGINX = ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/bin/nginx'].find((path) => existsSync(path));
if (NGINX === undefined) console.warn('reverse-proxy.test.ts: nginx is not installed (apt-get install nginx-light); its tests are skipped');
const HAPROXY = ['/usr/sbin/haproxy', '/usr/local/sbin/haproxy', '/usr/bin/haproxy'].find((path) => existsSync(path));
if (HAPROXY === undefined) console.warn('reverse-proxy.test.ts: haproxy is not installed (apt-get install haproxy); its test is skipped');

const READ = 'reader-secret-1';
const INGEST = 'ingest-secret-1';
const ORIGIN = 'https://app.example.com';
let dir: Awaited<ReturnType<typeof tempDir>> | undefined;
let server: SpawnedServer | undefined;
let nginx: ChildProcess | undefined;
let haproxy: ChildProcess | undefined;
let haproxyPort = 0;
let livelogPort = 0;
let guidePort = 0;
let barePort = 0;
const sources: EventSource[] = [];

/** The first block of `language` in docs/guides/reverse-proxy.md. */
async function guideBlock(language: string, mustHave: readonly string[] = []): Promise<string> {
  const page = await readFile(new URL('../../../docs/guides/reverse-proxy.md', import.meta.url), 'utf8');
  const block = new RegExp(`\`\`\`${language}\n([\\s\\S]*?)\`\`\``).exec(page)?.[1];
  if (block === undefined) throw new Error(`docs/guides/reverse-proxy.md has no ${language} block`);
  // The addresses this test points elsewhere: without them the proxy would bind port 80.
  for (const text of mustHave) if (!block.includes(text)) throw new Error(`the guide's ${language} block lost "${text}"`);
  return block;
}

async function guideConfig(): Promise<string> {
  return (await guideBlock('nginx', ['server 127.0.0.1:7600;', 'listen 80;']))
    .replace('server 127.0.0.1:7600;', `server 127.0.0.1:${livelogPort};`)
    .replace('listen 80;', `listen 127.0.0.1:${guidePort};`);
}

async function startNginx(): Promise<void> {
  const root = (dir as NonNullable<typeof dir>).path;
  const conf = join(root, 'nginx.conf');
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((kind) => `${kind}_temp_path ${join(root, `${kind}-temp`)};`);
  await writeFile(
    conf,
    `pid ${join(root, 'nginx.pid')};
error_log ${join(root, 'nginx-error.log')} warn;
events { worker_connections 128; }
http {
  access_log off;
  ${temp.join('\n  ')}
${await guideConfig()}
  server {
    listen 127.0.0.1:${barePort};
    gzip on;
    gzip_types text/event-stream;
    location / { proxy_pass http://127.0.0.1:${livelogPort}; }
  }
}
`,
  );
  // One process: a worker outlives a master killed with SIGKILL (afterAll) and would keep the port.
  nginx = spawn(NGINX as string, ['-p', root, '-c', conf, '-e', join(root, 'nginx-error.log'), '-g', 'daemon off; master_process off;'], {
    stdio: 'ignore',
  });
  await waitFor(
    () =>
      fetch(`http://127.0.0.1:${guidePort}/healthz`).then(
        (response) => response.status < 500,
        () => false,
      ),
    { timeoutMs: 15_000, what: 'nginx answering' },
  );
}

/** HAProxy with the guide's frontend and backends, its error file written as the guide's printf does. */
async function startHaproxy(): Promise<void> {
  const root = (dir as NonNullable<typeof dir>).path;
  const printf = /printf '([^']*)' > (\S+)/.exec(await guideBlock('sh'));
  if (printf === null) throw new Error("the guide's sh block has no printf");
  const errorFile = join(root, 'livelog-sse-retry.http');
  await writeFile(errorFile, (printf[1] as string).replaceAll('\\r', '\r').replaceAll('\\n', '\n'));
  const block = (await guideBlock('haproxy', ['bind :80', '127.0.0.1:7600']))
    .replaceAll(printf[2] as string, errorFile)
    .replace('bind :80', `bind 127.0.0.1:${haproxyPort}`)
    .replaceAll('127.0.0.1:7600', `127.0.0.1:${livelogPort}`);
  const conf = join(root, 'haproxy.cfg');
  // Debian's defaults, with a shorter connect phase so that an outage is answered within a second.
  await writeFile(
    conf,
    `defaults\n    mode http\n    retries 1\n    timeout connect 1s\n    timeout client 50s\n    timeout server 50s\n\n${block}`,
  );
  haproxy = spawn(HAPROXY as string, ['-db', '-f', conf], { stdio: 'ignore' });
  await waitFor(
    () =>
      fetch(`http://127.0.0.1:${haproxyPort}/healthz`).then(
        (response) => response.status < 500,
        () => false,
      ),
    { timeoutMs: 15_000, what: 'haproxy answering' },
  );
}

async function stopNginx(): Promise<void> {
  const child = nginx;
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  await new Promise((resolve) => {
    child.once('exit', resolve);
    child.kill('SIGTERM');
  });
}

function startLivelog(): Promise<SpawnedServer> {
  return spawnServer({
    dataDir: join((dir as NonNullable<typeof dir>).path, 'data'),
    port: livelogPort,
    logLevel: 'warn',
    args: ['--token', `${READ}:read,${INGEST}:ingest`, '--cors-origin', ORIGIN, '--heartbeat', '200ms', '--retry', '100ms'],
  });
}

/** The store's identity, from the first ingest reply (ids are `<stream>:<seq>`). */
let streamId = '';

/** Ingests `count` lines through `base`; resolves with the last seq stored. */
async function ingestVia(base: string, count: number): Promise<number> {
  const reply = await postLogs(base, ndjson(count), 'application/x-ndjson', { authorization: `Bearer ${INGEST}` });
  if (reply.status !== 200) throw new Error(`ingest via ${base}: ${reply.status} ${JSON.stringify(reply.body)}`);
  const [stream, seq] = (reply.body as { lastId: string }).lastId.split(':') as [string, string];
  streamId = stream;
  return Number(seq);
}

beforeAll(async () => {
  if (NGINX === undefined && HAPROXY === undefined) return;
  dir = await tempDir('livelog-proxies-');
  [livelogPort, guidePort, barePort, haproxyPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  server = await startLivelog();
  if (NGINX !== undefined) await startNginx();
  if (HAPROXY !== undefined) await startHaproxy();
}, 60_000);

afterAll(async () => {
  for (const source of sources) source.close();
  nginx?.kill('SIGKILL');
  haproxy?.kill('SIGKILL');
  await server?.kill('SIGKILL');
  await dir?.remove();
});

describe.skipIf(NGINX === undefined)('livelog behind nginx', () => {
  it("streams each line at once through the guide's config, every seq once and in order across an nginx restart and a livelog kill -9 (eventsource client)", async () => {
    const proxy = `http://127.0.0.1:${guidePort}`;
    const seqs: number[] = [];
    let hellos = 0;
    // ?token= because EventSource cannot set headers; Last-Event-ID on reconnects wins over from=start.
    const source = new EventSource(`${proxy}/api/stream?from=start&token=${READ}`);
    sources.push(source);
    source.addEventListener('hello', () => hellos++);
    source.onmessage = (message) => seqs.push((JSON.parse(message.data) as LogEntry).seq);
    const sees = (seq: number, what: string) => waitFor(() => seqs.includes(seq), { timeoutMs: 15_000, what: `${what} (seq ${seq})` });

    // Live: each batch arrives while the stream stays open, long before any buffer could fill.
    await waitFor(() => hellos === 1, { what: 'hello through nginx' });
    await sees(await ingestVia(proxy, 3), 'a live batch');
    await sees(await ingestVia(proxy, 3), 'a second live batch');

    // The proxy restarts (its connections are cut); lines written meanwhile arrive after the reconnect.
    await stopNginx();
    const whileProxyDown = await ingestVia(server?.url as string, 5);
    await startNginx();
    await sees(whileProxyDown, 'lines written while nginx was down');

    // livelog is killed: nginx can only answer 502 until it is back, which would end EventSource for good.
    await server?.kill('SIGKILL');
    await waitFor(() => source.readyState === EventSource.CONNECTING, { what: 'the reader noticing livelog is gone' });
    server = await startLivelog();
    const afterRestart = await ingestVia(proxy, 4);
    await sees(afterRestart, 'lines written after livelog came back');
    expect(source.readyState).not.toBe(EventSource.CLOSED);
    expect(hellos).toBeGreaterThanOrEqual(3);
    expect(checkSeqs(seqs, afterRestart)).toEqual({ missing: 0, duplicates: 0, reordered: 0, extra: 0 });
    source.close();
  }, 40_000);

  it('streams through a bare proxy_pass with gzip on: compressed, yet each line and heartbeat arrives at once, and a cut connection resumes', async () => {
    const bare = `http://127.0.0.1:${barePort}`;
    const first = await ingestVia(bare, 2);
    const seqs: number[] = [];
    let comments = 0;
    let encoding: string | undefined;
    const open = (lastEventId: string) => {
      const parser = new SseParser(
        {
          onEvent: (message) => {
            if (message.type === 'message') seqs.push((JSON.parse(message.data) as LogEntry).seq);
          },
          onComment: () => comments++,
        },
        lastEventId,
      );
      const headers = { authorization: `Bearer ${READ}`, 'accept-encoding': 'gzip', 'last-event-id': lastEventId };
      const req = request(`${bare}/api/stream`, { headers, agent: false }, (response) => {
        encoding = response.headers['content-encoding'];
        const body = encoding === 'gzip' ? response.pipe(createGunzip()) : response;
        body.on('data', (chunk: Buffer) => parser.feed(chunk));
        body.on('error', () => {});
      });
      req.on('error', () => {});
      req.end();
      return { parser, req };
    };
    const connection = open(`${streamId}:0`);
    await waitFor(() => seqs.includes(first), { what: 'catch-up through the bare proxy' });
    expect(encoding).toBe('gzip');
    const live = await ingestVia(bare, 2);
    await waitFor(() => seqs.includes(live), { what: 'a live line through gzip' });
    await waitFor(() => comments >= 2, { what: 'heartbeats through gzip' });

    connection.req.destroy();
    const missed = await ingestVia(bare, 3);
    const resumed = open(connection.parser.lastEventId);
    await waitFor(() => seqs.includes(missed), { what: 'the lines missed while cut' });
    resumed.req.destroy();
    expect(checkSeqs(seqs, missed)).toEqual({ missing: 0, duplicates: 0, reordered: 0, extra: 0 });
  }, 20_000);

  it('passes tokens and CORS preflights through, and answers auth failures unchanged', async () => {
    const proxy = `http://127.0.0.1:${guidePort}`;
    const preflight = await fetch(`${proxy}/api/stream`, {
      method: 'OPTIONS',
      headers: { origin: ORIGIN, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization, last-event-id' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/last-event-id/);
    const unauthorized = await fetch(`${proxy}/api/stream`);
    expect(unauthorized.status).toBe(401);
    expect(((await unauthorized.json()) as { error: { code: string } }).error.code).toMatch(/^LIVELOG_ERR_AUTH/);
    const wrongScope = await postLogs(proxy, ndjson(1), 'application/x-ndjson', { authorization: `Bearer ${READ}` });
    expect(wrongScope.status).toBe(403);
  });
});

describe.skipIf(HAPROXY === undefined)('livelog behind HAProxy', () => {
  it("streams each line at once through the guide's config, and an eventsource reader survives a livelog kill -9 with every seq once", async () => {
    const proxy = `http://127.0.0.1:${haproxyPort}`;
    const seqs: number[] = [];
    let errors = 0;
    const source = new EventSource(`${proxy}/api/stream?from=start&token=${READ}`);
    sources.push(source);
    source.onmessage = (message) => seqs.push((JSON.parse(message.data) as LogEntry).seq);
    source.onerror = () => errors++;
    const sees = (seq: number, what: string) => waitFor(() => seqs.includes(seq), { timeoutMs: 15_000, what: `${what} (seq ${seq})` });
    await sees(await ingestVia(proxy, 3), 'a live batch');
    await sees(await ingestVia(proxy, 3), 'a second live batch');

    await server?.kill('SIGKILL');
    // The cut, then at least one answer of HAProxy's own while livelog is down: a 503 would end EventSource.
    await waitFor(() => errors >= 2, { timeoutMs: 15_000, what: 'a reconnect while livelog is down' });
    expect(source.readyState).not.toBe(EventSource.CLOSED);
    const down = await fetch(`${proxy}/api/stream`);
    expect([down.status, down.headers.get('content-type'), await down.text()]).toEqual([200, 'text/event-stream', 'retry: 2000\n\n']);
    server = await startLivelog();
    const afterRestart = await ingestVia(proxy, 4);
    await sees(afterRestart, 'lines written after livelog came back');
    expect(checkSeqs(seqs, afterRestart)).toEqual({ missing: 0, duplicates: 0, reordered: 0, extra: 0 });
    source.close();
  }, 40_000);
});
