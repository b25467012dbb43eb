import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

/**
 * `node bench/dist/profile-summary.js FILE.cpuprofile [top]`: where a `--cpu-prof` profile of the
 * server spent its time, by function (self time) and by package (self time of every function in
 * it), so a bench run's profile can be read without DevTools.
 */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

function where(url: string): string {
  if (url === '') return '(native)';
  if (url.startsWith('node:')) return url;
  const path = url.replace(/^file:\/\//, '');
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1];
  if (pkg !== undefined) return pkg;
  const own = /packages\/([^/]+)\//.exec(path)?.[1];
  return own !== undefined ? `@livelog/${own}` : relative(process.cwd(), path);
}

/** Package and file, for the by-function list. */
function fileOf(url: string): string {
  const path = url.replace(/^file:\/\//, '');
  const own = /packages\/([^/]+)\/(?:dist\/)?(.+)$/.exec(path);
  if (own !== null) return `@livelog/${own[1]}/${own[2]}`;
  const dep = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(.+)$/.exec(path);
  if (dep !== null) return `${dep[1]}/${dep[2]}`;
  return where(url);
}

function main(): void {
  const file = process.argv[2];
  if (file === undefined) throw new Error('usage: profile-summary FILE.cpuprofile [top]');
  const top = Number(process.argv[3] ?? 25);
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const total = profile.endTime - profile.startTime;
  const byFunction = new Map<string, number>();
  const byPackage = new Map<string, number>();
  for (const [id, us] of self) {
    const frame = (byId.get(id) as ProfileNode).callFrame;
    const name = `${frame.functionName || '(anonymous)'} ${fileOf(frame.url)}${frame.url ? `:${frame.lineNumber + 1}` : ''}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + us);
    const pkg = frame.url === '' ? frame.functionName : where(frame.url);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + us);
  }
  const print = (title: string, rows: Map<string, number>): void => {
    console.log(`\n${title}`);
    for (const [name, us] of [...rows].sort((a, b) => b[1] - a[1]).slice(0, top)) {
      console.log(`${((us / total) * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(7)} ms  ${name}`);
    }
  };
  console.log(`${file}: ${(total / 1e6).toFixed(1)} s profiled`);
  print('self time by function', byFunction);
  print('self time by package / native category', byPackage);
}

main();
