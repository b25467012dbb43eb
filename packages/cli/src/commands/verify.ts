import { parseDuration } from '@livelog/protocol';
import { type Command, Option } from 'commander';
import { checkedStream, usage } from '../ingest/shipping-options.js';
import { checkUrl, DEFAULT_TAIL_URL } from './read-target.js';

/** The source every line `livelog verify` writes carries, so they are easy to filter out. */
export const VERIFY_SOURCE = 'livelog-verify';

interface VerifyFlags {
  token?: string;
  count: string;
  batch: string;
  cuts: string;
  timeout: string;
  json: boolean;
  stream?: string;
  keep: boolean;
}

/** What a verify run found. Exit code 0 only when `lost`, `duplicated` and `reordered` are all 0. */
export interface VerifyResult {
  url: string;
  run: string;
  source: string;
  /** The stream written and read: a fresh `livelog-verify-<run>` unless `--stream` named one. */
  stream: string;
  /** Whether that fresh stream was deleted afterwards (it needs the admin scope; `--keep` keeps it). */
  deleted: boolean;
  sent: number;
  received: number;
  lost: number;
  duplicated: number;
  reordered: number;
  gaps: number;
  missedInGaps: number;
  cuts: number;
  midEventCuts: number;
  /**
   * Cuts that fell before the stream's `hello` on their connection: failed attempts, not drops of
   * an open stream, so they add no reconnect. `reconnects` is `cuts - cutsBeforeHello` plus any
   * drop verify did not make itself (a proxy's, a watchdog's).
   */
  cutsBeforeHello: number;
  reconnects: number;
  meanResumeMs: number | undefined;
  maxResumeMs: number | undefined;
  timedOut: boolean;
  passed: boolean;
}

/**
 * `livelog verify URL`: proves the guarantee on a real deployment, through its proxies. It ingests
 * a bounded run of marked lines (source `livelog-verify`, needs a token with the ingest scope when
 * the server has tokens), reads them back over the stream while cutting its own connection at
 * random byte positions (mid-event too), and reports lost, duplicated and reordered lines.
 * The lines go to a fresh stream of their own, `livelog-verify-<run>`, so the real log stays clean;
 * it is ended and then deleted afterwards when the token may (admin scope), else left ended for
 * retention to remove. `--stream NAME` writes to that stream instead (and keeps it).
 */
export function registerVerify(program: Command): void {
  program
    .command('verify')
    .description('prove no line is lost, repeated or reordered: write marked lines, read them back while cutting the connection')
    .argument('[url]', `server base URL (default $LIVELOG_URL or ${DEFAULT_TAIL_URL})`)
    .addOption(new Option('--token <token>', 'token with the read and ingest scopes').env('LIVELOG_TOKEN'))
    .option('--count <n>', 'lines to write', '2000')
    .option('--batch <n>', 'lines per ingest request', '100')
    .option('--cuts <n>', 'connection cuts to make while reading', '50')
    .addOption(
      new Option('--timeout <duration>', 'give up reading after this long: 30s, 5m (a bare number is ms)')
        .default('60s')
        .env('LIVELOG_VERIFY_TIMEOUT'),
    )
    .option('--json', 'print the result as JSON', false)
    .addOption(
      new Option(
        '--stream <name>',
        'write to and read this stream (default: a fresh livelog-verify-<random> stream, deleted afterwards)',
      ).env('LIVELOG_VERIFY_STREAM'),
    )
    .option('--keep', 'keep the fresh livelog-verify-<random> stream instead of deleting it', false)
    .action(async (url: string | undefined, flags: VerifyFlags) => {
      const count = positive(flags.count);
      const batch = positive(flags.batch);
      const cuts = Number(flags.cuts);
      const timeoutMs = parseDuration(flags.timeout);
      if (count === undefined || batch === undefined || !Number.isInteger(cuts) || cuts < 0 || timeoutMs === undefined || timeoutMs <= 0) {
        process.stderr.write(
          'livelog verify: --count and --batch must be positive whole numbers, --cuts a whole number, --timeout a positive duration\n',
        );
        process.exit(2);
      }
      const stream = checkedStream('verify', flags.stream);
      const target = url ?? process.env.LIVELOG_URL ?? DEFAULT_TAIL_URL;
      const urlProblem = checkUrl(target);
      if (urlProblem !== undefined) usage('verify', urlProblem);
      try {
        // The client and the checking code load only once the command runs: `--help` and usage errors start faster.
        const { describeResult, runVerify } = await import('./verify-action.js');
        const result = await runVerify({
          url: target,
          ...(flags.token ? { token: flags.token } : {}),
          count,
          batch,
          cuts,
          timeoutMs,
          ...(stream === undefined ? {} : { stream }),
          keep: flags.keep,
          onNotice: (text) => process.stderr.write(`livelog verify: ${text}\n`),
        });
        process.stdout.write(flags.json ? `${JSON.stringify(result)}\n` : describeResult(result));
        process.exit(result.passed ? 0 : 1);
      } catch (error) {
        process.stderr.write(`livelog verify: ${(error as Error).message}\n`);
        process.exit(1);
      }
    });
}

function positive(text: string): number | undefined {
  return /^\d+$/.test(text) && Number(text) > 0 ? Number(text) : undefined;
}
