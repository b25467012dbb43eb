import { join } from 'node:path';
import { type BenchContext, CpuMeter, CpuTally, type Row } from '../context.js';
import { ndjsonBody } from '../entries.js';
import { background, cpuOf, cpuRatio, median, percent, perSecond } from '../format.js';
import { IngestClients } from '../ingest-load.js';
import { lokiBody, otlpBody } from '../input-bodies.js';

/** Each other input must reach this share of native NDJSON ingest. */
const TARGET = 0.7;

interface Input {
  name: string;
  path: string;
  contentType: string;
  bodies: Buffer[];
  target: boolean;
}

/**
 * The inputs of other protocols next to native NDJSON ingest, on one livelog server in one run:
 * the same access-log records, in batches of the same size, posted by the same keep-alive clients,
 * each batch acknowledged once durable. Rounds rotate through the inputs; the median round of each
 * is reported, with its ratio to native (the `ceiling` column of these rows is native NDJSON).
 */
export async function inputsScenario(ctx: BenchContext): Promise<Row[]> {
  const { ingestBatch, ingestBatches, ingestClients, rounds } = ctx.config;
  const time = Date.now();
  const distinct = 16;
  const make = (encode: (first: number) => Buffer): Buffer[] => Array.from({ length: distinct }, (_, k) => encode(k * ingestBatch));
  const inputs: Input[] = [
    {
      name: 'native NDJSON',
      path: '/api/logs',
      contentType: 'application/x-ndjson',
      bodies: make((first) => ndjsonBody(first, ingestBatch, time)),
      target: false,
    },
    {
      name: 'OTLP protobuf',
      path: '/v1/logs',
      contentType: 'application/x-protobuf',
      bodies: make((first) => otlpBody(first, ingestBatch, time, 'protobuf')),
      target: true,
    },
    {
      name: 'Loki push, snappy protobuf',
      path: '/loki/api/v1/push',
      contentType: 'application/x-protobuf',
      bodies: make((first) => lokiBody(first, ingestBatch, time)),
      target: true,
    },
    {
      name: 'OTLP JSON',
      path: '/v1/logs',
      contentType: 'application/json',
      bodies: make((first) => otlpBody(first, ingestBatch, time, 'json')),
      target: false,
    },
  ];
  const perRound = Math.max(ingestClients * 2, Math.round(ingestBatches / rounds));
  const warmup = Math.min(20, perRound);

  const { child, port } = await ctx.startLivelog(join(ctx.scratch, 'inputs'), 'inputs');
  const clients = inputs.map(
    (input) =>
      new IngestClients(
        port,
        input.path,
        ingestClients,
        input.path === '/api/logs' ? {} : { contentType: input.contentType, entriesPerBody: ingestBatch },
      ),
  );
  const rates = inputs.map((): number[] => []);
  const tallies = inputs.map(() => new CpuTally());
  let posted = 0;
  let lastSeq = 0;
  try {
    for (const [i, input] of inputs.entries())
      posted += (await (clients[i] as IngestClients).postAll(input.bodies, warmup, ingestClients)).entries;
    for (let round = 0; round < rounds; round++) {
      for (const [i, input] of inputs.entries()) {
        const meter = new CpuMeter([child.pid], () => ctx.ownPids()).start();
        const result = await (clients[i] as IngestClients).postAll(input.bodies, perRound, ingestClients);
        (tallies[i] as CpuTally).add(result.elapsedMs / 1000, meter.stop(), meter.background, result.entries);
        (rates[i] as number[]).push(result.entries / (result.elapsedMs / 1000));
        posted += result.entries;
      }
    }
    // One native batch last: its lastId says how many entries the server holds in all.
    lastSeq = (await (clients[0] as IngestClients).post(inputs[0]?.bodies[0] as Buffer)).lastSeq;
    posted += ingestBatch;
  } finally {
    for (const client of clients) client.close();
    await ctx.stopLivelog(child);
  }

  const nativeRate = median(rates[0] as number[]);
  const nativeTally = tallies[0] as CpuTally;
  const batches = `${ingestBatch}/batch, ${ingestClients} clients (${rounds}×${(perRound * ingestBatch).toLocaleString('en-US')})`;
  return inputs.map((input, i) => {
    const inputRate = median(rates[i] as number[]);
    const tally = tallies[i] as CpuTally;
    const isNative = i === 0;
    return {
      scenario: `6. input ${input.name}, ${batches}`,
      livelog: perSecond(inputRate, 1),
      ceiling: isNative ? '' : perSecond(nativeRate, 1),
      ratio: isNative ? '' : percent(inputRate / nativeRate),
      cpuRatio: isNative ? '' : cpuRatio(tally, nativeTally),
      target: input.target ? `≥ ${percent(TARGET)} of native` : '',
      result: input.target ? (inputRate >= TARGET * nativeRate ? 'PASS' : 'MISS') : '',
      cpu: cpuOf(tally),
      ceilingCpu: isNative ? '' : cpuOf(nativeTally),
      background: isNative ? background(tally.background, Number.NaN) : background(tally.background, nativeTally.background),
      check: isNative
        ? lastSeq === posted
          ? `seq 1..${posted.toLocaleString('en-US')} acked (all inputs)`
          : `FAIL last seq ${lastSeq} ≠ ${posted} posted`
        : 'every batch 2xx, nothing refused',
    };
  });
}
