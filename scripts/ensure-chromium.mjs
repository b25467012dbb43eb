#!/usr/bin/env node
// Browser tests drive Debian's Chromium with playwright-core; `npx playwright install` cannot
// download browsers here. Installs the chromium package when it is missing, so `npm test` works on
// a fresh machine. Set LIVELOG_SKIP_CHROMIUM=1 to skip (browser tests then fail with a clear message).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const CHROMIUM = process.env.LIVELOG_CHROMIUM ?? '/usr/bin/chromium';

if (existsSync(CHROMIUM) || process.env.LIVELOG_SKIP_CHROMIUM === '1') process.exit(0);
if (process.platform !== 'linux') {
  console.error(`ensure-chromium: ${CHROMIUM} is missing; install Chromium and set LIVELOG_CHROMIUM to its path`);
  process.exit(0);
}
const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const run = (command, args) => {
  const [bin, ...rest] = asRoot ? [command, ...args] : ['sudo', '-n', command, ...args];
  execFileSync(bin, rest, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
};
console.error('ensure-chromium: installing Debian chromium for the browser tests…');
try {
  run('apt-get', ['update', '-qq']);
  run('apt-get', ['install', '-y', '-qq', 'chromium']);
} catch (error) {
  console.error(`ensure-chromium: could not install chromium (${error.message}); browser tests will fail`);
  process.exit(1);
}
