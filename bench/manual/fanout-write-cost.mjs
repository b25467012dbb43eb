// Manual measurement for issue 12 items 3, 4, 7 (not part of `npm run bench`): what the server's sink
// costs in CPU per entry-frame write to a live reader, old sink against new, in one process and the
// same minutes. A node:http server in this process holds N SSE responses (readers in a child process
// read and discard); each batch (BATCH entry frames of ~FRAME bytes in one shared buffer, as the ring
// hands them out) is written to every reader in one turn, a batch every GAP_MS. Rounds alternate
// between two NodeSseSink builds, each sink over its own readers: BASE (default /work/wt/base, main:
// every write through ServerResponse) and this worktree's (writev on the descriptor when idle). Prints
// the server's CPU (process.cpuUsage, user and system) per entry-frame write.
// Run: N=100 BATCHES=400 ROUNDS=6 nice -n 0 node bench/manual/fanout-write-cost.mjs
import { fork } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';

const N = Number(process.env.N ?? 100);

if (process.argv[2] === 'reader') {
  const port = Number(process.argv[3]);
  let open = 0;
  for (let i = 0; i < 2 * N; i++) {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(`GET /?i=${i} HTTP/1.1\r\nHost: x\r\n\r\n`));
    socket.once('data', () => {
      if (++open === 2 * N) process.send('ready');
    });
    socket.on('data', () => {});
    socket.on('error', () => {});
  }
} else {
  const base = process.env.BASE ?? '/work/wt/base';
  const { NodeSseSink: BaseSink } = await import(`${base}/packages/server/dist/sse/node-sse-sink.js`);
  const { NodeSseSink: NewSink } = await import(new URL('../../packages/server/dist/sse/node-sse-sink.js', import.meta.url).href);
  const batches = Number(process.env.BATCHES ?? 400);
  const rounds = Number(process.env.ROUNDS ?? 6);
  const batch = Number(process.env.BATCH ?? 100);
  const frame = Number(process.env.FRAME ?? 230);
  const gapMs = Number(process.env.GAP_MS ?? 10);
  const sinks = { base: [], new: [] };
  const server = http.createServer((req, res) => {
    // Half the readers on each build, alternately, so both see the same mix of early and late sockets.
    const which = sinks.base.length <= sinks.new.length ? 'base' : 'new';
    const sink = which === 'base' ? new BaseSink(req, res) : new NewSink(req, res);
    sink.open();
    sinks[which].push(sink);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const child = fork(new URL(import.meta.url).pathname, ['reader', String(server.address().port)], { env: process.env });
  await new Promise((resolve) => child.once('message', resolve));
  const line = `data: {"id":"s:1","seq":1,"msg":"${'x'.repeat(frame - 40)}"}\n\n`;
  const buffer = Buffer.from(line.repeat(batch));
  const pause = () => new Promise((resolve) => setTimeout(resolve, gapMs));
  const run = async (list) => {
    const start = process.cpuUsage();
    for (let i = 0; i < batches; i++) {
      for (const sink of list) sink.write(buffer);
      await pause();
    }
    return process.cpuUsage(start);
  };
  // No round measured before the warm-up (JIT, kernel buffers).
  await run(sinks.base);
  await run(sinks.new);
  const results = { base: [], new: [] };
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? ['base', 'new'] : ['new', 'base'];
    for (const which of order) results[which].push(await run(sinks[which]));
  }
  const perWrite = (us) => (us / batches / N).toFixed(1);
  const total = (used) => used.user + used.system;
  const show = (used) => `${perWrite(total(used))} µs/write (user ${perWrite(used.user)}, system ${perWrite(used.system)})`;
  for (let r = 0; r < rounds; r++) {
    const [b, n] = [total(results.base[r]), total(results.new[r])];
    console.log(`round ${r + 1}: base ${show(results.base[r])}, new ${show(results.new[r])}, new/base ${(n / b).toFixed(2)}`);
  }
  const sum = (list) => list.reduce((a, b) => a + total(b), 0);
  console.log(`N=${N} BATCH=${batch} FRAME=${frame} bytes: new/base CPU ${(sum(results.new) / sum(results.base)).toFixed(3)}`);
  child.kill();
  process.exit(0);
}
