import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import { startServer, type TestServer } from '@livelog/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from './tail-support.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function server(input: Parameters<typeof startServer>[0] = {}): Promise<TestServer> {
  const started = await startServer({ heartbeat: '100ms', ...input });
  cleanups.push(() => started.close());
  return started;
}

interface VerifyJson {
  stream: string;
  deleted: boolean;
  sent: number;
  received: number;
  lost: number;
  duplicated: number;
  reordered: number;
  cuts: number;
  midEventCuts: number;
  cutsBeforeHello: number;
  reconnects: number;
  passed: boolean;
}

async function verify(url: string, args: string[]): Promise<{ code: number | null; result: VerifyJson | undefined; stderr: string }> {
  const run = runCli(['verify', url, '--json', ...args]);
  cleanups.push(() => run.interrupt());
  const { code } = await run.exited;
  const line = run.lines()[0];
  return { code, result: line === undefined ? undefined : (JSON.parse(line) as VerifyJson), stderr: run.stderr() };
}

/** What a faulty proxy does to the verify line numbered 7 in every stream response. */
type Fault = 'drop' | 'duplicate' | 'swap';

/**
 * A deliberately faulty HTTP proxy in front of a real server: it forwards everything, but rewrites
 * event streams frame by frame to drop, repeat, or swap with its successor the entry of line 7.
 */
async function faultyProxy(upstream: string, fault: Fault): Promise<string> {
  const target = new URL(upstream);
  const proxy: Server = createServer((request, response) => {
    const forward = httpRequest(
      { host: target.hostname, port: target.port, path: request.url, method: request.method, headers: request.headers },
      (answer: IncomingMessage) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        if (!String(answer.headers['content-type']).startsWith('text/event-stream')) {
          answer.pipe(response);
          return;
        }
        let buffer = '';
        let held: string | undefined;
        answer.setEncoding('utf8');
        answer.on('data', (chunk: string) => {
          buffer += chunk;
          let out = '';
          for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
            const frame = buffer.slice(0, end + 2);
            buffer = buffer.slice(end + 2);
            const line = /"n":(\d+)[,}]/.exec(frame)?.[1];
            if (line === '7' && fault === 'drop') continue;
            if (line === '7' && fault === 'duplicate') out += frame;
            if (line === '7' && fault === 'swap') {
              held = frame;
              continue;
            }
            out += frame;
            if (line === '8' && held !== undefined) {
              out += held;
              held = undefined;
            }
          }
          if (out !== '') response.write(out);
        });
        answer.on('end', () => response.end());
        answer.on('error', () => response.destroy());
        response.on('close', () => answer.destroy());
      },
    );
    forward.on('error', () => response.destroy());
    request.pipe(forward);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  cleanups.push(async () => {
    proxy.closeAllConnections();
    await new Promise((resolve) => proxy.close(resolve));
  });
  const address = proxy.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return `http://127.0.0.1:${address.port}`;
}

describe('livelog verify', () => {
  it('passes against a healthy server while cutting its own connection, mid-event included', async () => {
    const target = await server({ tokens: ['verify-secret-1:read+ingest'] });
    const { code, result } = await verify(target.url, ['--token', 'verify-secret-1', '--count', '600', '--batch', '50', '--cuts', '20']);
    expect(result).toMatchObject({ sent: 600, received: 600, lost: 0, duplicated: 0, reordered: 0, passed: true });
    expect(result?.cuts).toBe(20);
    expect(result?.midEventCuts).toBeGreaterThan(0);
    // Regression (CI flake): a cut before its connection's hello is a failed attempt, not a dropped
    // open stream, so it adds no reconnect; every other cut does, the last one included (verify
    // waits for it). More only if something else dropped the stream, e.g. a watchdog on a busy runner.
    expect(result?.cutsBeforeHello).toBeGreaterThanOrEqual(0);
    expect(result?.reconnects).toBeGreaterThanOrEqual((result?.cuts ?? 0) - (result?.cutsBeforeHello ?? 0));
    expect(code).toBe(0);
    const sources = (await (await fetch(`${target.url}/api/sources`, { headers: { authorization: 'Bearer verify-secret-1' } })).json()) as {
      sources: unknown;
    };
    // Issue 15.11: its lines and its source live in a stream of their own, never in `default`.
    expect(JSON.stringify(sources)).not.toContain('livelog-verify');
    // Without the admin scope the stream cannot be deleted: it is left ended, for retention.
    expect(result).toMatchObject({ deleted: false, stream: expect.stringMatching(/^livelog-verify-[0-9a-f]{12}$/) });
    const info = await fetch(`${target.url}/api/streams/${result?.stream}`, { headers: { authorization: 'Bearer verify-secret-1' } });
    expect(await info.json()).toMatchObject({ state: 'ended', entries: 600, labels: { tool: 'livelog-verify' } });
  });

  it('prints a readable report by default', async () => {
    const target = await server();
    const run = runCli(['verify', target.url, '--count', '50', '--cuts', '3']);
    cleanups.push(() => run.interrupt());
    expect((await run.exited).code).toBe(0);
    expect(run.stdout()).toMatch(/lost {8}0\n {2}duplicated {2}0\n {2}reordered {3}0\n/);
    expect(run.stdout()).toContain('PASS');
    expect(run.stdout()).toMatch(/cuts +3 \(/);
  });

  it('fails with lost 1 against a server that drops a line, even through its own cuts', async () => {
    const target = await server();
    const { code, result } = await verify(await faultyProxy(target.url, 'drop'), ['--count', '200', '--batch', '20', '--cuts', '10']);
    expect(result).toMatchObject({ sent: 200, received: 199, lost: 1, duplicated: 0, reordered: 0, passed: false });
    expect(code).toBe(1);
  });

  it('fails with duplicated 1 against a server that repeats a line', async () => {
    const target = await server();
    const { code, result } = await verify(await faultyProxy(target.url, 'duplicate'), ['--count', '100', '--batch', '20', '--cuts', '0']);
    expect(result).toMatchObject({ sent: 100, received: 100, lost: 0, duplicated: 1, reordered: 0, passed: false });
    expect(code).toBe(1);
  });

  it('fails with reordered 1 against a server that swaps two lines (the late one is not delivered out of order)', async () => {
    const target = await server();
    const { code, result } = await verify(await faultyProxy(target.url, 'swap'), ['--count', '100', '--batch', '20', '--cuts', '0']);
    expect(result).toMatchObject({ sent: 100, received: 99, lost: 1, duplicated: 0, reordered: 1, passed: false });
    expect(code).toBe(1);
  });

  it('says it needs an ingest token when given a read-only one', async () => {
    const target = await server({ tokens: ['reader-only-1:read'] });
    const { code, stderr } = await verify(target.url, ['--token', 'reader-only-1', '--count', '10']);
    expect(code).toBe(1);
    expect(stderr).toContain('ingest scope');
  });
});
