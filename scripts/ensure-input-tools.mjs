#!/usr/bin/env node
// The syslog and journald input tests run real peers: util-linux `logger` (bsdutils), an rsyslog
// daemon, a syslog-ng daemon, journalctl reading files written by systemd-journal-remote, and a
// private systemd-journald fed by systemd-cat; the reverse-proxy test runs nginx (nginx-light) and
// HAProxy, each started by the test itself with its own configuration. Installs the Debian packages that are missing so
// `npm test` works on a fresh machine; without apt (or root/sudo) it says which tests will skip and
// goes on. Set LIVELOG_SKIP_INPUT_TOOLS=1 to skip.
//
// Debian's rsyslog and syslog-ng-core conflict (both provide system-log-daemon): installing one
// removes the other. So unless syslog-ng is installed already, its package is downloaded
// (`apt-get download`) and unpacked into node_modules/.cache/input-tools/syslog-ng, where the
// syslog-ng test finds it; only its libraries are installed.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
/** Where syslog-ng-core is unpacked; packages/server/test/syslog-ng.test.ts looks here too. */
const SYSLOG_NG_DIR = join(ROOT, 'node_modules', '.cache', 'input-tools', 'syslog-ng');

const TOOLS = [
  { package: 'bsdutils', present: () => onPath('logger'), tests: 'syslog logger(1) tests' },
  { package: 'rsyslog', present: () => existsSync('/usr/sbin/rsyslogd'), tests: 'rsyslog forwarding test' },
  {
    package: 'systemd-journal-remote',
    present: () =>
      ['/lib/systemd/systemd-journal-remote', '/usr/lib/systemd/systemd-journal-remote'].some(existsSync) && onPath('journalctl'),
    tests: 'journald tests',
  },
  {
    package: 'systemd',
    present: () => ['/lib/systemd/systemd-journald', '/usr/lib/systemd/systemd-journald'].some(existsSync) && onPath('systemd-cat'),
    tests: 'live journald test',
  },
  {
    package: 'nginx-light',
    present: () => ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/bin/nginx'].some(existsSync),
    tests: 'reverse-proxy test (nginx)',
  },
  {
    package: 'haproxy',
    present: () => ['/usr/sbin/haproxy', '/usr/local/sbin/haproxy', '/usr/bin/haproxy'].some(existsSync),
    tests: 'reverse-proxy test (HAProxy)',
  },
];

function installed(debianPackage) {
  try {
    // dpkg-query's own ${Status} format field, spelled so that it is no template placeholder.
    return execFileSync('dpkg-query', ['-W', `-f=${'$'}{Status}`, debianPackage], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).includes('install ok installed');
  } catch {
    return false;
  }
}

function onPath(command) {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const syslogNgPresent = () => existsSync('/usr/sbin/syslog-ng') || existsSync(join(SYSLOG_NG_DIR, 'usr', 'sbin', 'syslog-ng'));

if (process.env.LIVELOG_SKIP_INPUT_TOOLS === '1') process.exit(0);
const missing = TOOLS.filter((tool) => !tool.present());
const wantSyslogNg = !syslogNgPresent();
if (missing.length === 0 && !wantSyslogNg) process.exit(0);
const names = missing.map((tool) => tool.package);
const skipped = [...missing.map((tool) => tool.tests), ...(wantSyslogNg ? ['syslog-ng forwarding test'] : [])].join(', ');
if (process.platform !== 'linux' || !onPath('apt-get')) {
  console.error(
    `ensure-input-tools: apt-get is not available; ${skipped} will be skipped (install ${[...names, 'syslog-ng-core'].join(', ')})`,
  );
  process.exit(0);
}
const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const run = (command, args, options = {}) => {
  const [bin, ...rest] = asRoot ? [command, ...args] : ['sudo', '-n', command, ...args];
  execFileSync(bin, rest, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, ...options });
};
try {
  run('apt-get', ['update', '-qq']);
  if (names.length > 0) {
    console.error(`ensure-input-tools: installing ${names.join(', ')} for the syslog, journald and reverse-proxy tests…`);
    // --no-install-recommends: the rsyslog package is wanted for its binary; the tests start it themselves.
    run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...names]);
  }
  if (wantSyslogNg) unpackSyslogNg();
} catch (error) {
  console.error(
    `ensure-input-tools: could not install ${[...names, ...(wantSyslogNg ? ['syslog-ng-core'] : [])].join(', ')} (${error.message}); ${skipped} will be skipped`,
  );
}

/** Downloads syslog-ng-core, installs the libraries it depends on, and unpacks it into SYSLOG_NG_DIR. */
function unpackSyslogNg() {
  console.error(`ensure-input-tools: unpacking syslog-ng-core into ${SYSLOG_NG_DIR} (it conflicts with the rsyslog package)…`);
  const download = join(ROOT, 'node_modules', '.cache', 'input-tools', 'download');
  rmSync(download, { recursive: true, force: true });
  mkdirSync(download, { recursive: true });
  // apt-get download writes into the working directory.
  execFileSync('apt-get', ['download', '-qq', 'syslog-ng-core'], { cwd: download, stdio: 'inherit' });
  const deb = readdirSync(download).find((name) => name.endsWith('.deb'));
  if (deb === undefined) throw new Error('apt-get download syslog-ng-core left no .deb');
  const depends = execFileSync('dpkg-deb', ['-f', join(download, deb), 'Depends'], { encoding: 'utf8' });
  // "libivykis0 (>= 0.42), sysvinit-utils (>= 3.05-4~) | lsb-base": the first of each alternative, no versions.
  const libraries = depends
    .split(',')
    .map((clause) => clause.split('|')[0].trim().split(/\s/)[0])
    .filter((name) => name.startsWith('lib') && !installed(name));
  // Only the missing ones: naming an installed library would upgrade it (libc6, libssl3) as a side effect.
  if (libraries.length > 0) run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...libraries]);
  rmSync(SYSLOG_NG_DIR, { recursive: true, force: true });
  mkdirSync(SYSLOG_NG_DIR, { recursive: true });
  execFileSync('dpkg-deb', ['-x', join(download, deb), SYSLOG_NG_DIR], { stdio: 'inherit' });
  rmSync(download, { recursive: true, force: true });
}
