import { createReadStream } from 'node:fs';
import { parseLevelValue } from '@livelog/core';
import { type Command, Option } from 'commander';
import { shipLines } from '../ingest/ship-lines.js';
import {
  addShippingOptions,
  lineOptions,
  openShipping,
  type ShippingFlags,
  serveUntilInterrupted,
  usage,
} from '../ingest/shipping-target.js';

/** Flags of `livelog pipe`. */
interface PipeFlags extends ShippingFlags {
  source: string;
  level?: string;
}

/**
 * `livelog pipe [--server URL] [--source name] [--spool DIR]`: ships stdin line by line, a stack
 * trace as one entry. Exits 0 once every line is acknowledged; 1 when lines were refused or could
 * not be delivered in time. Without --server the lines go to an embedded server, which keeps
 * serving its console after stdin ends, until Ctrl-C (or not, with --exit).
 */
export function registerPipe(program: Command): void {
  const command = program
    .command('pipe')
    .description('ship stdin to livelog, line by line, without losing one')
    .addOption(new Option('-S, --source <name>', 'source of the lines').env('LIVELOG_SOURCE').default('stdin'))
    .addOption(
      new Option('-l, --level <level>', 'give every line this level (default: the level a line states, else info)').env('LIVELOG_LEVEL'),
    );
  addShippingOptions(command).action(async (flags: PipeFlags) => {
    await pipe(flags);
  });
}

async function pipe(flags: PipeFlags): Promise<void> {
  const forceLevel = flags.level === undefined ? undefined : parseLevelValue(flags.level);
  if (flags.level !== undefined && forceLevel === undefined) usage('pipe', `--level: not a level: ${JSON.stringify(flags.level)}`);
  const { multiline, time } = lineOptions('pipe', flags);
  const target = await openShipping('pipe', flags, flags.source);
  // 1 MiB reads: far fewer calls than process.stdin's 64 KiB when a file is redirected in.
  const input = createReadStream('', { fd: 0, highWaterMark: 1024 * 1024, autoClose: false });
  const lines = await shipLines(input, {
    shipper: target.shipper,
    defaults: { level: 'info', time, ...(forceLevel === undefined ? {} : { forceLevel }) },
    multiline,
  });
  if (target.embedded !== undefined && !flags.exit) {
    const report = await target.shipper.flush();
    await serveUntilInterrupted(
      `livelog pipe: stdin ended after ${lines} line(s), ${report.acknowledged} entr${report.acknowledged === 1 ? 'y' : 'ies'} stored`,
      target.url,
    );
  }
  const report = await target.finish();
  process.exit(report.complete && report.rejected === 0 ? 0 : 1);
}
