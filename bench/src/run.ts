import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ALL, ON_REQUEST, readConfig } from './config.js';
import { BenchContext, type Row } from './context.js';
import { table } from './format.js';
import { fanoutScenario } from './scenarios/fanout.js';
import { followScenario } from './scenarios/follow.js';
import { ingestScenario } from './scenarios/ingest.js';
import { inputsScenario } from './scenarios/inputs.js';
import { latencyScenario } from './scenarios/latency.js';
import { manyReadersScenario } from './scenarios/many-readers.js';
import { memoryScenario } from './scenarios/memory.js';
import { replayScenario } from './scenarios/replay.js';
import { searchScenario } from './scenarios/search.js';
import { soakScenario } from './scenarios/soak.js';
import { stormScenario } from './scenarios/storm.js';
import { streamsScenario } from './scenarios/streams.js';

/**
 * `npm run bench`: every scenario against livelog (a server process on SQLite) and against the raw
 * Node socket ceiling, in one run on this machine, printed as one table.
 */
async function main(): Promise<void> {
  const config = readConfig();
  const scratch = mkdtempSync(join(tmpdir(), 'livelog-bench-'));
  const ctx = new BenchContext(config, scratch);
  const onSignal = (): void => {
    ctx.killAll();
    rmSync(scratch, { recursive: true, force: true });
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const started = performance.now();
  const rows = new Map<string, Row[]>();
  const notes: string[] = [];
  const step = async <T>(name: string, run: () => Promise<T>): Promise<T | undefined> => {
    if (!config.only.has(name)) return undefined;
    const at = performance.now();
    process.stderr.write(`bench: ${name}…`);
    const result = await run();
    process.stderr.write(` ${((performance.now() - at) / 1000).toFixed(1)} s\n`);
    return result;
  };
  try {
    await ctx.ready();
    // Memory first, while the ceiling process is fresh; the table keeps the order of the brief.
    rows.set('memory', (await step('memory', () => memoryScenario(ctx))) ?? []);
    rows.set('ingest', (await step('ingest', () => ingestScenario(ctx))) ?? []);
    rows.set('inputs', (await step('inputs', () => inputsScenario(ctx))) ?? []);
    rows.set('fanout', (await step('fanout', () => fanoutScenario(ctx))) ?? []);
    rows.set('latency', (await step('latency', () => latencyScenario(ctx))) ?? []);
    const replay = await step('replay', () => replayScenario(ctx));
    rows.set('replay', replay?.rows ?? []);
    notes.push(...(replay?.notes ?? []));
    rows.set('streams', (await step('streams', () => streamsScenario(ctx))) ?? []);
    const storm = await step('storm', () => stormScenario(ctx));
    rows.set('storm', storm?.rows ?? []);
    notes.push(...(storm?.notes ?? []));
    const soak = await step('soak', () => soakScenario(ctx));
    rows.set('soak', soak?.rows ?? []);
    notes.push(...(soak?.notes ?? []));
    const many = await step('readers20k', () => manyReadersScenario(ctx));
    rows.set('readers20k', many?.rows ?? []);
    notes.push(...(many?.notes ?? []));
    notes.push(...((await step('follow', () => followScenario())) ?? []));
    const search = await step('search', () => searchScenario(ctx));
    rows.set('search', search?.rows ?? []);
    notes.push(...(search?.notes ?? []));
  } finally {
    await ctx.shutdown();
    rmSync(scratch, { recursive: true, force: true });
  }
  const ordered = ['ingest', 'fanout', 'replay', 'latency', 'memory', 'inputs', 'streams', 'storm', 'readers20k', 'soak', 'search'].flatMap(
    (name) => rows.get(name) ?? [],
  );
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  console.log('');
  console.log(
    `livelog bench — ${new Date().toISOString()} — Node ${process.version}, ${process.platform}, ${availableParallelism()} cores (${cpu}), scale ${config.scale}`,
  );
  console.log('ceiling = raw node:http server, no store, pre-encoded frames, measured in the same run; ratio = livelog / ceiling');
  console.log('CPU = % of one core used by the server process / the reader process(es) while measuring;');
  console.log('CPU/entry ratio = ceiling server CPU per entry / livelog server CPU per entry (robust to noise and to reader-bound rates)');
  console.log('other load = % of one core used by processes outside the bench meanwhile (livelog runs / ceiling runs)');
  console.log('');
  console.log(
    table(
      [
        'scenario',
        'livelog',
        'ceiling',
        'ratio',
        'target',
        'result',
        'CPU livelog srv / rdr',
        'CPU ceiling srv / rdr',
        'CPU/entry ratio',
        'other load',
        'check',
      ],
      ordered.map((row) => [
        row.scenario,
        row.livelog,
        row.ceiling,
        row.ratio,
        row.target,
        row.result,
        row.cpu,
        row.ceilingCpu,
        row.cpuRatio,
        row.background,
        row.check,
      ]),
    ),
  );
  console.log('');
  for (const note of notes) console.log(`note: ${note}`);
  console.log(`total ${((performance.now() - started) / 1000).toFixed(0)} s`);
  const failed = ordered.filter((row) => row.check.startsWith('FAIL'));
  if (failed.length > 0) {
    // A check says what failed (entries lost, duplicated, out of order, or a round out of time): name the rows.
    console.log(`A delivery check FAILED in ${failed.map((row) => `"${row.scenario}"`).join(', ')}: see its check column.`);
    process.exitCode = 1;
  }
}

const USAGE = `usage: npm run bench            (or: node bench/dist/run.js, after npm run build)

Runs every benchmark scenario against livelog and its ceiling in one run and prints one table.
Settings are environment variables (all of them, with defaults: bench/README.md, "Environment"):
  LIVELOG_BENCH_ONLY=a,b     run only these scenarios: ${ALL.join(', ')};
                             on request only: ${ON_REQUEST.join(', ')}
  LIVELOG_BENCH_SCALE=0.1    multiply every count (0.1 for a quick run)
  LIVELOG_BENCH_ROUNDS=N     rounds per scenario (medians are reported)
  LIVELOG_BENCH_CPU_PROF=1   servers run with --cpu-prof (profiles in bench/profiles/)
Exit status: 0 when every delivery check held, 1 when one FAILED or the run broke, 2 on a usage error.`;

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  console.log(USAGE);
} else if (args.length > 0) {
  console.error(`bench: unknown argument ${args[0]} (settings are environment variables)\n\n${USAGE}`);
  process.exitCode = 2;
} else {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
