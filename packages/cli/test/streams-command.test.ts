import { openSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fetchHistory, fetchStreamInfo, listStreams } from '@livelog/client';
import { postStreamEnd, postStreamLogs, type SpawnedServer, spawnServer, tempDir, waitFor } from '@livelog/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { livelog, nodeScript } from './support/livelog-process.js';
import { runCli } from './tail-support.js';

let server: SpawnedServer;
let data: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  data = await tempDir('livelog-cli-streams-');
  server = await spawnServer({ dataDir: data.path, args: ['--heartbeat', '200ms', '--retry', '10ms'] });
});
afterAll(async () => {
  await server?.kill('SIGTERM');
  await data?.remove();
});

const lines = (count: number, prefix: string): string => `for (let i = 1; i <= ${count}; i++) console.log('${prefix} ' + i);`;

describe('livelog run/tail/pipe/streams/verify with named streams', () => {
  it('run --stream ends the stream with the exit code; a tail started before it waits, prints every line and exits 3', async () => {
    const tail = runCli(['tail', server.url, '--stream', 'build-3', '-n', 'all', '-o', 'raw']);
    await waitFor(() => tail.stderr().includes('does not exist yet'), { what: 'tail waiting for the stream' });
    const run = livelog(['run', '--server', server.url, '--stream', 'build-3', ...nodeScript(`${lines(100, 'step')} process.exit(3);`)]);
    expect(await run.exited).toEqual({ code: 3, signal: null });
    expect(await tail.exited).toEqual({ code: 3, signal: null });
    const printed = tail.lines();
    // The run's own start and exit entries frame the command's lines.
    expect(printed.filter((line) => line.startsWith('step '))).toEqual(Array.from({ length: 100 }, (_, i) => `step ${i + 1}`));
    expect(printed[0]).toMatch(/^started: /);
    expect(printed.at(-1)).toBe('exited with code 3');
    expect(tail.stderr()).toContain('stream build-3 ended · exit 3');
    expect(await fetchStreamInfo(server.url, 'build-3')).toMatchObject({ state: 'ended', end: { exitCode: 3 }, entries: 102 });
    // Nothing of it went to the default stream.
    const defaults = await fetchHistory({ url: server.url, fromStart: true });
    expect(defaults.entries.filter((entry) => entry.msg.startsWith('step '))).toEqual([]);
  });

  it('a killed command ends its stream with 128 + n and the signal; tail of an ended stream replays and exits with it', async () => {
    const run = livelog([
      'run',
      '--server',
      server.url,
      '--stream',
      'killed-1',
      ...nodeScript("console.log('up'); process.kill(process.pid, 'SIGTERM');"),
    ]);
    expect((await run.exited).signal).toBe('SIGTERM');
    expect(await fetchStreamInfo(server.url, 'killed-1')).toMatchObject({
      state: 'ended',
      end: { exitCode: 143, reason: 'signal SIGTERM' },
    });
    const tail = runCli(['tail', server.url, '--stream', 'killed-1', '-n', 'all', '-o', 'raw']);
    expect(await tail.exited).toEqual({ code: 143, signal: null });
    expect(tail.lines()).toContain('up');
    expect(tail.stderr()).toContain('stream killed-1 ended · exit 143 (signal SIGTERM)');
  });

  // Regression: run into an ended stream said on stderr that every line was refused, then exited 0 (the
  // program's code), so a CI step passed with none of its lines stored.
  it('run into an ended stream exits 125 when the program succeeded and keeps a failing program its code', async () => {
    expect((await postStreamLogs(server.url, 'late-1', '{"msg":"first"}\n')).status).toBe(200);
    expect((await postStreamEnd(server.url, 'late-1', { exitCode: 0 })).status).toBe(200);
    const late = livelog(['run', '--server', server.url, '--stream', 'late-1', ...nodeScript("console.log('too late')")]);
    expect(await late.exited).toEqual({ code: 125, signal: null });
    expect(late.stdout().toString('utf8')).toBe('too late\n');
    expect(late.stderr()).toMatch(/the server refused \d+ line\(s\) \[LIVELOG_ERR_STREAM_ENDED\]/);
    expect(late.stderr()).toMatch(/livelog run: 3 line\(s\) were refused; exiting 125 although \S*node exited with code 0$/m);
    const failing = livelog([
      'run',
      '--server',
      server.url,
      '--stream',
      'late-1',
      ...nodeScript("console.log('too late'); process.exit(4)"),
    ]);
    expect(await failing.exited).toEqual({ code: 4, signal: null });
    expect(failing.stderr()).toMatch(/\[LIVELOG_ERR_STREAM_ENDED\]/);
    expect(await fetchStreamInfo(server.url, 'late-1')).toMatchObject({ state: 'ended', entries: 1 });
  });

  it('pipe --stream leaves the stream open; with --end it ends it (reason only: tail exits 0)', async () => {
    const input = join(data.path, 'pipe.txt');
    await writeFile(input, 'one\ntwo\nthree\n');
    const open = livelog(['pipe', '--server', server.url, '--stream', 'import-1', '--source', 'import'], { stdin: openSync(input, 'r') });
    expect(await open.exited).toEqual({ code: 0, signal: null });
    expect(await fetchStreamInfo(server.url, 'import-1')).toMatchObject({ state: 'open', entries: 3 });
    const ended = livelog(['pipe', '--server', server.url, '--stream', 'import-1', '--end'], { stdin: openSync(input, 'r') });
    expect(await ended.exited).toEqual({ code: 0, signal: null });
    expect(await fetchStreamInfo(server.url, 'import-1')).toMatchObject({ state: 'ended', entries: 6, end: { reason: 'end of input' } });
    const tail = runCli(['tail', server.url, '--stream', 'import-1', '-n', 'all', '-o', 'raw']);
    expect(await tail.exited).toEqual({ code: 0, signal: null });
    expect(tail.lines()).toEqual(['one', 'two', 'three', 'one', 'two', 'three']);
    const noStream = livelog(['pipe', '--server', server.url, '--end'], { stdin: openSync(input, 'r') });
    expect((await noStream.exited).code).toBe(2);
    expect(noStream.stderr()).toContain('--end needs --stream');
  });

  it('bad names are usage errors; tail --no-follow of an unknown stream exits 1 with a message', async () => {
    const bad = runCli(['tail', server.url, '--stream', 'Bad/Name']);
    expect((await bad.exited).code).toBe(2);
    expect(bad.stderr()).toContain('is not a stream name');
    const run = livelog(['run', '--server', server.url, '--stream', '-x', '--', 'true']);
    expect((await run.exited).code).toBe(125);
    // The same check (one helper) for a shipped pipe, a followed file and verify.
    for (const args of [
      ['pipe', '--server', server.url, '--stream', 'Bad/Name'],
      [
        'pipe',
        '--server',
        server.url,
        '--follow',
        join(data.path, 'none.log'),
        '--checkpoint',
        join(data.path, 'cp'),
        '--stream',
        'Bad/Name',
      ],
      ['verify', server.url, '--stream', 'Bad/Name'],
    ]) {
      const refused = livelog(args);
      expect((await refused.exited).code, args.join(' ')).toBe(2);
      expect(refused.stderr(), args.join(' ')).toContain(`livelog ${args[0]}: --stream: "Bad/Name" is not a stream name`);
    }
    const unknown = runCli(['tail', server.url, '--stream', 'nobody-here', '--no-follow']);
    expect((await unknown.exited).code).toBe(1);
    expect(unknown.stderr()).toContain('has no stream nobody-here');
  });

  it('livelog streams lists streams as a table and as JSON, with prefix and label filters', async () => {
    const table = runCli(['streams', server.url, '--prefix', 'build-']);
    expect(await table.exited).toEqual({ code: 0, signal: null });
    const [header, ...rows] = table.lines();
    expect(header).toMatch(/^NAME +STATE +ENTRIES +BYTES +READERS +LAST +LABELS$/);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatch(/^build-3 +ended · exit 3 +102 /);
    const json = runCli(['streams', server.url, '-o', 'json', '--order', 'name']);
    expect(await json.exited).toEqual({ code: 0, signal: null });
    const listed = JSON.parse(json.stdout()) as { name: string; state: string }[];
    expect(listed.map((stream) => stream.name)).toEqual(expect.arrayContaining(['build-3', 'import-1', 'killed-1']));
    expect(listed.map((stream) => stream.name)).toEqual([...listed.map((stream) => stream.name)].sort());
    const badLabel = runCli(['streams', server.url, '--label', 'nope']);
    expect((await badLabel.exited).code).toBe(2);
  });

  it('verify writes to a fresh livelog-verify-* stream, passes, deletes it, and leaves default untouched', async () => {
    const before = await fetchHistory({ url: server.url, fromStart: true, limit: 1000 });
    const verify = runCli(['verify', server.url, '--json', '--count', '300', '--cuts', '10']);
    const { code } = await verify.exited;
    expect(verify.stderr()).toBe('');
    expect(code).toBe(0);
    const result = JSON.parse(verify.lines()[0] as string) as { stream: string; deleted: boolean; lost: number; cuts: number };
    expect(result).toMatchObject({ deleted: true, lost: 0 });
    // Issue 15.11: `--cuts 10` makes 10 cuts, however fast the lines arrive.
    expect(result.cuts).toBe(10);
    expect(result.stream).toMatch(/^livelog-verify-[0-9a-f]{12}$/);
    const after = await fetchHistory({ url: server.url, fromStart: true, limit: 1000 });
    expect(after.entries.map((entry) => entry.id)).toEqual(before.entries.map((entry) => entry.id));
    const remaining = await listStreams(server.url, { prefix: 'livelog-verify-' });
    expect(remaining.streams).toEqual([]);
  });

  it('verify --stream writes to and reads the stream it names, creating it, and keeps it open', async () => {
    const verify = runCli(['verify', server.url, '--stream', 'ci-verify', '--json', '--count', '200', '--cuts', '4']);
    const { code } = await verify.exited;
    expect(verify.stderr()).toBe('');
    expect(code).toBe(0);
    const result = JSON.parse(verify.lines()[0] as string) as {
      stream: string;
      deleted: boolean;
      lost: number;
      cuts: number;
      passed: boolean;
    };
    expect(result).toMatchObject({ stream: 'ci-verify', deleted: false, lost: 0, cuts: 4, passed: true });
    expect(await fetchStreamInfo(server.url, 'ci-verify')).toMatchObject({ state: 'open', entries: 200 });
  });
});
