// Manual measurement for issue 12 item 7 (not part of `npm run bench`): what one heartbeat write costs a
// server in CPU, user and kernel, with N idle loopback readers, and so the floor under the readers20k
// figure. A bare node:net server (no livelog code) accepts N connections from two reader processes
// that read and discard; it then writes a 7-byte pre-framed chunk to each reader idle 15 s, checked
// every 3.75 s in slices of 1,000 per turn (as the broker's sweep), for SEC seconds, and prints its
// own CPU per write (process.cpuUsage). MODE: `socket` (socket.write), `fd` (fs.writeSync on the
// socket's descriptor, as writeWhenIdle), `handle` (libuv's writeBuffer without the stream, through
// the deprecated process.binding: a floor, not for the server), `none` (the same loop, no write:
// subtract it). Run: ulimit -n $(ulimit -Hn); MODE=fd N=19800 SEC=30 nice -n 19 node bench/manual/heartbeat-floor.mjs
import { fork } from 'node:child_process';
import { writeSync } from 'node:fs';
import net from 'node:net';

const INTERVAL_MS = 15_000;
const CHUNK = Buffer.from('2\r\n:\n\r\n', 'latin1');

if (process.argv[2] === 'reader') {
  const port = Number(process.argv[3]);
  const n = Number(process.argv[4]);
  let open = 0;
  // Waves of 200, as the bench's reader processes.
  const wave = () => {
    if (open >= n) return process.send('ready');
    const size = Math.min(200, n - open);
    let done = 0;
    open += size;
    for (let i = 0; i < size; i++) {
      const socket = net.connect(port, '127.0.0.1', () => {
        if (++done === size) wave();
      });
      socket.on('data', () => {});
      socket.on('error', () => {});
    }
  };
  wave();
} else {
  const n = Number(process.env.N ?? 19_800);
  const seconds = Number(process.env.SEC ?? 30);
  const mode = process.env.MODE ?? 'fd';
  const sockets = [];
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    socket.on('error', () => {});
    sockets.push(socket);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  const readers = [0, 1].map(() => fork(new URL(import.meta.url).pathname, ['reader', String(port), String(n / 2)]));
  await Promise.all(readers.map((reader) => new Promise((resolve) => reader.once('message', resolve))));
  while (sockets.length < n) await new Promise((resolve) => setTimeout(resolve, 50));
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const WriteWrap = mode === 'handle' ? process.binding('stream_wrap').WriteWrap : undefined;
  const writes = {
    none: () => {},
    socket: (socket) => socket.write(CHUNK),
    fd: (socket) => writeSync(socket._handle.fd, CHUNK),
    handle: (socket) => {
      const req = new WriteWrap();
      req.handle = socket._handle;
      req.oncomplete = () => {};
      req.async = false;
      socket._handle.writeBuffer(req, CHUNK);
    },
  };
  const write = writes[mode];
  if (write === undefined) throw new Error(`MODE must be one of ${Object.keys(writes).join(', ')}`);
  // Last writes spread over one interval, as readers that connected over time.
  const last = new Float64Array(n);
  for (let i = 0; i < n; i++) last[i] = Date.now() - (i / n) * INTERVAL_MS;
  let count = 0;
  const tick = () => {
    const now = Date.now();
    let i = 0;
    const slice = () => {
      for (let k = 0; k < 1000 && i < n; k++, i++) {
        if (now - last[i] < INTERVAL_MS) continue;
        last[i] = now;
        write(sockets[i]);
        count++;
      }
      if (i < n) setImmediate(slice);
    };
    slice();
  };
  const timer = setInterval(tick, INTERVAL_MS / 4);
  const before = process.cpuUsage();
  const started = performance.now();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const used = process.cpuUsage(before);
  const elapsed = (performance.now() - started) / 1000;
  clearInterval(timer);
  const perWrite = (us) => (count === 0 ? null : Number((us / count).toFixed(2)));
  console.log(
    JSON.stringify({
      mode,
      readers: n,
      seconds: Number(elapsed.toFixed(1)),
      writesPerSec: Math.round(count / elapsed),
      userPctOfCore: Number((used.user / 1e4 / elapsed).toFixed(3)),
      kernelPctOfCore: Number((used.system / 1e4 / elapsed).toFixed(3)),
      userUsPerWrite: perWrite(used.user),
      kernelUsPerWrite: perWrite(used.system),
    }),
  );
  for (const reader of readers) reader.kill();
  process.exit(0);
}
