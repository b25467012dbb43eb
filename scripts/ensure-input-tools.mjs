#!/usr/bin/env node
// The syslog and journald input tests run real peers: util-linux `logger` (bsdutils), an rsyslog
// daemon, and journalctl reading files written by systemd-journal-remote. Installs the Debian
// packages that are missing so `npm test` works on a fresh machine; without apt (or root/sudo) it
// says which tests will skip and goes on. Set LIVELOG_SKIP_INPUT_TOOLS=1 to skip.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const TOOLS = [
  { package: 'bsdutils', present: () => onPath('logger'), tests: 'syslog logger(1) tests' },
  { package: 'rsyslog', present: () => existsSync('/usr/sbin/rsyslogd'), tests: 'rsyslog forwarding test' },
  {
    package: 'systemd-journal-remote',
    present: () =>
      ['/lib/systemd/systemd-journal-remote', '/usr/lib/systemd/systemd-journal-remote'].some(existsSync) && onPath('journalctl'),
    tests: 'journald tests',
  },
];

function onPath(command) {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

if (process.env.LIVELOG_SKIP_INPUT_TOOLS === '1') process.exit(0);
const missing = TOOLS.filter((tool) => !tool.present());
if (missing.length === 0) process.exit(0);
const names = missing.map((tool) => tool.package);
if (process.platform !== 'linux' || !onPath('apt-get')) {
  console.error(
    `ensure-input-tools: apt-get is not available; ${missing.map((tool) => tool.tests).join(', ')} will be skipped (install ${names.join(', ')})`,
  );
  process.exit(0);
}
const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const run = (command, args) => {
  const [bin, ...rest] = asRoot ? [command, ...args] : ['sudo', '-n', command, ...args];
  execFileSync(bin, rest, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
};
console.error(`ensure-input-tools: installing ${names.join(', ')} for the syslog and journald input tests…`);
try {
  run('apt-get', ['update', '-qq']);
  // --no-install-recommends: the rsyslog package is wanted for its binary; the tests start it themselves.
  run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...names]);
} catch (error) {
  console.error(
    `ensure-input-tools: could not install ${names.join(', ')} (${error.message}); ${missing.map((tool) => tool.tests).join(', ')} will be skipped`,
  );
}
