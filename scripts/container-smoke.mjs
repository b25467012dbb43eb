#!/usr/bin/env node
// Builds the repository's Dockerfile and checks the image as a user would run it: not root, a data
// volume, the HEALTHCHECK, /healthz, the console page, and one ingest + SSE round trip with a token.
// `npm run test:container`. Skips (exit 0, says so) when neither podman nor docker is installed,
// unless LIVELOG_CONTAINER_REQUIRED=1. Environment:
//   CONTAINER_ENGINE            podman or docker (default: whichever is on PATH, podman first)
//   LIVELOG_BUILD_IMAGE         base of the build stage (Dockerfile default: node:20-bookworm-slim)
//   LIVELOG_RUNTIME_IMAGE       base of the image (same default); see scripts/container-bases.sh
//   LIVELOG_CONTAINER_BUILD_FLAGS  more flags for `build`, split on spaces (e.g. `-v` mounts of a CA file)
//   LIVELOG_CONTAINER_KEEP=1    keep the image afterwards
//   LIVELOG_CONTAINER_NO_BUILD=1  check the image built before (kept with LIVELOG_CONTAINER_KEEP=1)
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const IMAGE = 'localhost/livelog:smoke';
const suffix = randomBytes(4).toString('hex');
const NAME = `livelog-smoke-${suffix}`;
const VOLUME = `livelog-smoke-data-${suffix}`;
const TOKEN = `smoke-${randomBytes(12).toString('hex')}`;

function onPath(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

const engine = process.env.CONTAINER_ENGINE ?? ['podman', 'docker'].find(onPath);
if (engine === undefined) {
  const message = 'container smoke test skipped: neither podman nor docker is installed';
  if (process.env.LIVELOG_CONTAINER_REQUIRED === '1') {
    console.error(message);
    process.exit(1);
  }
  console.log(message);
  process.exit(0);
}

/** Runs the engine; returns its stdout, throws with its stderr. */
function run(args, options = {}) {
  return execFileSync(engine, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20, ...options }).trim();
}

function check(condition, what) {
  if (!condition) throw new Error(`failed: ${what}`);
  console.log(`ok - ${what}`);
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function until(what, probe, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Reads `GET url` as SSE until `done(events)` holds; returns the events ({ type, id, data }). */
async function readSse(url, headers, started, done, timeoutMs) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error('timed out reading the stream')), timeoutMs);
  const events = [];
  try {
    const response = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: controller.signal });
    if (response.status !== 200) throw new Error(`GET ${url}: ${response.status}`);
    const decoder = new TextDecoder();
    let text = '';
    let event = { type: 'message', id: '', data: [] };
    for await (const chunk of response.body) {
      text += decoder.decode(chunk, { stream: true });
      let newline = text.indexOf('\n');
      while (newline >= 0) {
        const line = text.slice(0, newline).replace(/\r$/, '');
        text = text.slice(newline + 1);
        if (line === '') {
          if (event.data.length > 0) {
            events.push({ type: event.type, id: event.id, data: event.data.join('\n') });
            if (event.type === 'hello') started();
          }
          event = { type: 'message', id: '', data: [] };
        } else if (line.startsWith('event:')) event.type = line.slice(6).trim();
        else if (line.startsWith('id:')) event.id = line.slice(3).trim();
        else if (line.startsWith('data:')) event.data.push(line.slice(5).replace(/^ /, ''));
        newline = text.indexOf('\n');
      }
      if (done(events)) return events;
    }
    throw new Error('the stream closed early');
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
}

async function smoke() {
  const buildArgs = [];
  if (process.env.LIVELOG_BUILD_IMAGE) buildArgs.push('--build-arg', `BUILD_IMAGE=${process.env.LIVELOG_BUILD_IMAGE}`);
  if (process.env.LIVELOG_RUNTIME_IMAGE) buildArgs.push('--build-arg', `RUNTIME_IMAGE=${process.env.LIVELOG_RUNTIME_IMAGE}`);
  const extra = (process.env.LIVELOG_CONTAINER_BUILD_FLAGS ?? '').split(' ').filter(Boolean);
  // Podman's default OCI format drops HEALTHCHECK; the Docker format keeps it.
  const format = engine.endsWith('podman') ? ['--format', 'docker'] : [];
  if (process.env.LIVELOG_CONTAINER_NO_BUILD !== '1') {
    const started = Date.now();
    console.log(`building ${IMAGE} with ${engine} (minutes: better-sqlite3 compiles where no prebuilt binary downloads)`);
    execFileSync(engine, ['build', ...format, '-t', IMAGE, ...buildArgs, ...extra, ROOT], { stdio: 'inherit' });
    console.log(`built in ${Math.round((Date.now() - started) / 1000)} s`);
  }

  const [config] = JSON.parse(run(['image', 'inspect', IMAGE]));
  const user = config.Config?.User ?? config.config?.User;
  check(user === 'node', `the image runs as the node user (User: ${JSON.stringify(user)})`);
  const health = config.Config?.Healthcheck ?? config.Healthcheck ?? config.ContainerConfig?.Healthcheck;
  check(JSON.stringify(health?.Test ?? []).includes('healthcheck'), 'the image declares HEALTHCHECK livelog healthcheck');
  const size = Number(config.Size ?? config.VirtualSize ?? 0);
  console.log(`image size: ${Math.round(size / 1e6)} MB`);

  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  run(['volume', 'create', VOLUME]);
  run(['run', '-d', '--name', NAME, '-p', `127.0.0.1:${port}:7600`, '-v', `${VOLUME}:/data`, '-e', `LIVELOG_TOKENS=${TOKEN}`, IMAGE]);
  await until('/healthz', async () => (await fetch(`${url}/healthz`)).ok, 60_000);
  check((await (await fetch(`${url}/healthz`)).json()).status === 'ok', 'GET /healthz answers ok');
  check(run(['exec', NAME, 'id', '-u']) !== '0', 'the server process is not root');
  check(
    spawnSync(engine, ['exec', NAME, 'livelog', 'healthcheck'], { stdio: 'ignore' }).status === 0,
    '`livelog healthcheck` exits 0 inside',
  );
  const page = await fetch(`${url}/`);
  check(page.status === 200 && (await page.text()).includes('<livelog-app>'), 'GET / serves the console page');
  const auth = { authorization: `Bearer ${TOKEN}` };
  check((await fetch(`${url}/api/stream`)).status === 401, 'the stream refuses a request without the token');

  // A live reader first, then one batch: the reader gets exactly those entries, with the ids the ingest answered.
  let helloSeen;
  const hello = new Promise((resolve) => {
    helloSeen = resolve;
  });
  const reading = readSse(
    `${url}/api/stream`,
    auth,
    () => helloSeen(),
    (events) => events.filter((e) => e.type === 'message').length >= 2,
    15_000,
  );
  await Promise.race([hello, reading]);
  const reply = await fetch(`${url}/api/logs`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-ndjson', ...auth },
    body: '{"msg":"from the container 1","source":"smoke"}\n{"msg":"from the container 2","source":"smoke"}\n',
  });
  const answer = await reply.json();
  check(reply.status === 200 && answer.accepted === 2, 'POST /api/logs accepts two lines');
  const entries = (await reading).filter((e) => e.type === 'message').map((e) => JSON.parse(e.data));
  check(
    entries.length === 2 &&
      entries[0].id === answer.firstId &&
      entries[1].id === answer.lastId &&
      entries[1].msg === 'from the container 2',
    'the SSE reader gets both lines with the ids the ingest answered',
  );

  // The data outlives the container: a new one on the same volume serves the same entries.
  run(['rm', '-f', NAME]);
  run(['run', '-d', '--name', NAME, '-p', `127.0.0.1:${port}:7600`, '-v', `${VOLUME}:/data`, '-e', `LIVELOG_TOKENS=${TOKEN}`, IMAGE]);
  await until('/healthz after a restart', async () => (await fetch(`${url}/healthz`)).ok, 60_000);
  const history = await (await fetch(`${url}/api/logs?limit=10`, { headers: auth })).json();
  const kept = (history.entries ?? []).map((entry) => entry.msg);
  check(kept.includes('from the container 2'), 'a new container on the same volume has the lines');
}

let failed = false;
try {
  await smoke();
} catch (error) {
  failed = true;
  console.error(error instanceof Error ? error.message : error);
  const logs = spawnSync(engine, ['logs', NAME], { encoding: 'utf8' });
  if (logs.status === 0) console.error(`container output:\n${logs.stdout}${logs.stderr}`);
} finally {
  spawnSync(engine, ['rm', '-f', NAME], { stdio: 'ignore' });
  spawnSync(engine, ['volume', 'rm', '-f', VOLUME], { stdio: 'ignore' });
  if (process.env.LIVELOG_CONTAINER_KEEP !== '1') spawnSync(engine, ['rmi', IMAGE], { stdio: 'ignore' });
}
process.exit(failed ? 1 : 0);
