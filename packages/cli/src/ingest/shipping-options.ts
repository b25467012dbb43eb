import { checkSource } from '@livelog/core/ingest';
import { DEFAULTS } from '@livelog/server/defaults';
import { type Command, Option } from 'commander';
import { streamNameProblem } from './stream-name.js';

/*
 * The shipping flags of `run` and `pipe` and the checks of their values, apart from the shipping
 * itself (shipping-target.ts): registering the commands, for `--help` and every other command, then
 * loads no client.
 */

/** Flags shared by `livelog run` and `livelog pipe`. */
export interface ShippingFlags {
  server?: string;
  token?: string;
  /** The named stream to write to (`--stream`); the `default` stream without it. */
  stream?: string;
  spool?: string;
  flushTimeout?: string;
  port?: string;
  data?: string;
  /** False with `--no-multiline`. */
  multiline: boolean;
  time?: string;
  /** With the embedded server: exit when the input ends instead of serving until Ctrl-C. */
  exit: boolean;
}

/** Default of `--flush-timeout`. */
export const DEFAULT_FLUSH_TIMEOUT = '30s';

/** Adds the shipping flags, each with its LIVELOG_* variable. */
export function addShippingOptions(command: Command): Command {
  return command
    .addOption(new Option('-s, --server <url>', 'ship to this livelog server; without it, start one in this process').env('LIVELOG_URL'))
    .addOption(new Option('--token <token>', 'token with the ingest scope').env('LIVELOG_TOKEN'))
    .addOption(
      new Option('--stream <name>', 'write to this named stream (created by the first line; unset: the stream named default)').env(
        'LIVELOG_STREAM',
      ),
    )
    .addOption(
      new Option('--spool <dir>', 'write batches ahead to this directory; what is left there is sent by the next run').env('LIVELOG_SPOOL'),
    )
    .addOption(
      new Option(
        '--flush-timeout <duration>',
        `at the end, give up once the server has acknowledged nothing for this long (default ${DEFAULT_FLUSH_TIMEOUT})`,
      ).env('LIVELOG_FLUSH_TIMEOUT'),
    )
    .addOption(new Option('-p, --port <port>', `port of the embedded server (default ${DEFAULTS.port}, or a free one)`).env('LIVELOG_PORT'))
    .addOption(new Option('-d, --data <dir>', `data directory of the embedded server (default ${DEFAULTS.data})`).env('LIVELOG_DATA'))
    .addOption(
      new Option('--exit', 'with the embedded server: exit at the end instead of serving the console until Ctrl-C')
        .env('LIVELOG_EXIT')
        .default(false),
    )
    .addOption(new Option('--no-multiline', 'one entry per line: do not group stack traces into one entry').env('LIVELOG_NO_MULTILINE'))
    .addOption(
      new Option(
        '--time <time>',
        'time of an entry: line (the timestamp the line starts with, else when it was read; default) or received (when it was read)',
      ).env('LIVELOG_TIME'),
    );
}

/** The line options (`--no-multiline`, `--time`) checked; exits with a message on a bad value. */
export function lineOptions(command: string, flags: ShippingFlags): { multiline: boolean; time: 'line' | 'received' } {
  const time = flags.time ?? 'line';
  if (time !== 'line' && time !== 'received') usage(command, `--time must be line or received, got ${JSON.stringify(flags.time)}`);
  return { multiline: flags.multiline, time };
}

/**
 * Exit code of livelog's own failures: 125 for `run`, as `env`, `timeout` and `docker run` do, so it
 * cannot be mistaken for the wrapped program's code; 1 for `pipe`.
 */
export function failureCode(command: string): number {
  return command === 'run' ? 125 : 1;
}

/**
 * Exit code of a usage error (a bad flag or value): 2, as every livelog command; 125 for `run`, whose
 * other codes are the wrapped program's (see docs/reference/cli.md, exit codes).
 */
export function usageCode(command: string): number {
  return command === 'run' ? 125 : 2;
}

/** The `--stream` flag checked: undefined for none (absent or empty); a bad name is a usage error. */
export function checkedStream(command: string, flag: string | undefined): string | undefined {
  const stream = flag === '' ? undefined : flag;
  const problem = stream === undefined ? undefined : streamNameProblem(stream);
  if (problem !== undefined) usage(command, problem);
  return stream;
}

/**
 * The source flag (`run --name`, `pipe --source`) checked as the server checks a source; a bad one
 * is a usage error, not lines refused one batch at a time.
 */
export function checkedSource(command: string, source: string): string {
  try {
    return checkSource(source);
  } catch (error) {
    usage(command, `--${command === 'run' ? 'name' : 'source'}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Prints a usage error and exits with `usageCode`. */
export function usage(command: string, message: string): never {
  process.stderr.write(`livelog ${command}: ${message}\n`);
  process.exit(usageCode(command));
}

/** Prints a problem of livelog itself and exits with `failureCode`. */
export function fail(command: string, message: string): never {
  process.stderr.write(`livelog ${command}: ${message}\n`);
  process.exit(failureCode(command));
}
