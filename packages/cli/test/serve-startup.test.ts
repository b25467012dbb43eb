import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { cliPath, tempDir } from '@livelog/test-utils';
import { expect, it } from 'vitest';

/** `livelog serve …` as a process: its exit and its stderr. */
function serve(args: string[]) {
  const child = spawn(process.execPath, [cliPath(), 'serve', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  return { child, exited, stderr: () => stderr };
}

async function listening(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

it('stops cleanly (exit 0) on SIGTERM while it opens its store, where it died with 143', async () => {
  // A "Redis" that takes the connection and never answers holds serve in its store's open.
  const sockets: Socket[] = [];
  let connected: () => void = () => undefined;
  const reached = new Promise<void>((resolve) => {
    connected = resolve;
  });
  const silent = createServer((socket) => {
    sockets.push(socket);
    connected();
  });
  const port = await listening(silent);
  try {
    const run = serve(['--port', '0', '--store', `redis://127.0.0.1:${port}`]);
    await reached;
    run.child.kill('SIGTERM');
    expect(await run.exited).toEqual({ code: 0, signal: null });
    expect(run.stderr()).toContain('SIGTERM while starting: stopped before serving');
  } finally {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  }
});

it('with its port taken, fails before it makes the data directory, and says so', async () => {
  const holder = createServer();
  const port = await listening(holder);
  const dir = await tempDir('livelog-serve-port-');
  try {
    const data = join(dir.path, 'data');
    const run = serve(['--port', String(port), '--data', data]);
    expect(await run.exited).toEqual({ code: 1, signal: null });
    expect(run.stderr()).toBe(`livelog serve: cannot listen on 127.0.0.1:${port}: the port is in use (choose another with --port)\n`);
    expect(existsSync(data)).toBe(false);
  } finally {
    await new Promise((resolve) => holder.close(resolve));
    await dir.remove();
  }
});

it('says that a --data path that is a file is a file, where it said only EEXIST', async () => {
  const dir = await tempDir('livelog-serve-file-');
  try {
    const file = join(dir.path, 'not-a-dir');
    writeFileSync(file, '');
    const run = serve(['--port', '0', '--data', file]);
    expect(await run.exited).toEqual({ code: 1, signal: null });
    expect(run.stderr()).toBe(
      `livelog serve: ${file} is a file, not a directory: the data path must be a directory (it is made if missing)\n`,
    );
  } finally {
    await dir.remove();
  }
});
