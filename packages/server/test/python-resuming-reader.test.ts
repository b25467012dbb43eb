import { type ChildProcess, spawn } from 'node:child_process';
import { ChaosProxy, checkSeqs, commandRuns, postLogs, startServer, type TestServer, waitFor } from '@livelog/test-utils';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * A resuming reader as a Python script writes it with the standard library only: urllib, lines split
 * at bytes (so a cut inside a multi-byte character is no matter), the WHATWG rule that an event is
 * dispatched, and its id taken, at the blank line, and a reconnect with `Last-Event-ID` after any
 * error. Read through a ChaosProxy cutting it mid-event again and again, with non-ASCII entries, it
 * must print every seq once, in order. `early` plants the fault of a script that takes its resume
 * point before the blank line dispatches the event: from the entry's own `id` as soon as it reads
 * the `data:` line (livelog writes the `id:` line last, so a script taking that line early loses an
 * event only to a cut right before the blank line, which these cuts may never hit). The same check
 * must catch it.
 */
const PYTHON = commandRuns('python3');
if (!PYTHON) console.warn('python-resuming-reader.test.ts: python3 is not installed; its tests are skipped');

const READER = `
import json, sys, time, urllib.request
url, target, early = sys.argv[1], int(sys.argv[2]), sys.argv[3] == 'early'
last_id, seq = '', 0
while seq < target:
    headers = {'Last-Event-ID': last_id} if last_id else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=20) as response:
            pending, event, data, event_id = b'', '', [], None
            while seq < target:
                chunk = response.read1(65536)
                if not chunk:
                    break
                pending += chunk
                *lines, pending = pending.split(b'\\n')
                for raw in lines:
                    line = raw.rstrip(b'\\r').decode('utf-8')
                    if line == '':
                        if event_id is not None:
                            last_id = event_id
                        if data and event == '':
                            entry = json.loads('\\n'.join(data))
                            seq = entry['seq']
                            print(seq, flush=True)
                        event, data, event_id = '', [], None
                        continue
                    name, _, value = line.partition(':')
                    value = value[1:] if value.startswith(' ') else value
                    if name == 'data':
                        data.append(value)
                        if early and event == '':
                            last_id = json.loads(value)['id']
                    elif name == 'event':
                        event = value
                    elif name == 'id':
                        event_id = value
    except Exception:
        pass
    time.sleep(0.02)
`;

const servers: TestServer[] = [];
const proxies: ChaosProxy[] = [];
const children: ChildProcess[] = [];
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  for (const proxy of proxies) await proxy.close();
  for (const server of servers) await server.close();
});

// The cuts fall within the first four events of a batch (under ~760 bytes): its last one always arrives.
const MSGS = ['ü'.repeat(120), 'héllo wörld', '日本語のログ行', 'emoji 🚀🔥', 'sep\u2028x\u2029y\u0085z'];

async function run(mode: 'dispatch' | 'early') {
  const server = await startServer({ retry: '20ms', heartbeat: '1h' });
  servers.push(server);
  const proxy = await ChaosProxy.start({ port: Number(new URL(server.url).port) });
  proxies.push(proxy);
  const BATCHES = 30;
  const PER_BATCH = MSGS.length;
  const target = BATCHES * PER_BATCH;
  const post = () => postLogs(server.url, `${MSGS.map((msg) => JSON.stringify({ msg })).join('\n')}\n`);
  await post();
  const seqs: number[] = [];
  const child = spawn('python3', ['-c', READER, proxy.url('/api/stream?from=start'), String(target), mode], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8');
    const lines = out.split('\n');
    out = lines.pop() ?? '';
    for (const line of lines) seqs.push(Number(line));
  });
  await waitFor(() => seqs.length === PER_BATCH, { timeoutMs: 20_000, what: 'the first batch' });
  for (let batch = 2; batch <= BATCHES; batch++) {
    // Somewhere inside the batch's events, a different byte each time (multi-byte characters included).
    proxy.cutAllAfter(37 * (batch % 20) + 11);
    await post();
    await waitFor(() => seqs.includes(batch * PER_BATCH), { timeoutMs: 20_000, what: `batch ${batch}` });
  }
  child.kill('SIGKILL');
  return { seqs, target, cuts: proxy.cutStats() };
}

describe.skipIf(!PYTHON)('a Python standard-library reader resuming by Last-Event-ID', () => {
  it('gets every seq once and in order across cuts at many byte positions, non-ASCII entries included', async () => {
    const { seqs, target, cuts } = await run('dispatch');
    expect(cuts.total).toBe(29);
    expect(cuts.midEvent).toBeGreaterThanOrEqual(20);
    expect(checkSeqs(seqs, target)).toEqual({ missing: 0, duplicates: 0, reordered: 0, extra: 0 });
  }, 120_000);

  it('catches the planted fault: a script that takes the id before the blank line loses entries', async () => {
    const { seqs, target } = await run('early');
    expect(checkSeqs(seqs, target).missing).toBeGreaterThan(0);
  }, 120_000);
});
