import { parseDuration } from '@livelog/protocol';
import { DEFAULTS } from '@livelog/server/defaults';
import { type Command, Option } from 'commander';
import { checkUrl } from './read-target.js';

interface HealthcheckFlags {
  url?: string;
  timeout: string;
}

/**
 * `livelog healthcheck`: exits 0 when the server at URL answers ready, 1 otherwise. Meant for
 * container health checks in images without curl. Without --url it builds the local URL from
 * LIVELOG_PORT and LIVELOG_BASE_PATH, as `serve` would read them.
 */
export function registerHealthcheck(program: Command): void {
  program
    .command('healthcheck')
    .description('exit 0 when a livelog server is ready, 1 when it is not')
    .addOption(new Option('--url <url>', 'server base URL (default http://127.0.0.1:$LIVELOG_PORT$LIVELOG_BASE_PATH)').env('LIVELOG_URL'))
    .addOption(
      new Option('--timeout <duration>', 'give up after this long: 500ms, 2s, 1m (a bare number is ms)')
        .default('3s')
        .env('LIVELOG_HEALTHCHECK_TIMEOUT'),
    )
    .action(async (flags: HealthcheckFlags) => {
      // The one duration grammar of every livelog flag (issue 9 item 6).
      const timeoutMs = parseDuration(flags.timeout);
      if (timeoutMs === undefined || timeoutMs <= 0) {
        process.stderr.write(
          `livelog healthcheck: --timeout must be a positive duration such as 500ms, 2s or 1m, got ${JSON.stringify(flags.timeout)}\n`,
        );
        process.exit(2);
      }
      const base = flags.url ?? `http://127.0.0.1:${process.env.LIVELOG_PORT ?? DEFAULTS.port}${process.env.LIVELOG_BASE_PATH ?? ''}`;
      // A URL that cannot be fetched is a mistake in the check, not a server that is down: 2, as a bad --timeout.
      const urlProblem = checkUrl(base);
      if (urlProblem !== undefined) {
        process.stderr.write(`livelog healthcheck: --url: ${urlProblem}\n`);
        process.exit(2);
      }
      const url = `${base.replace(/\/+$/, '')}/readyz`;
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
        if (response.ok) {
          process.stdout.write(`ready: ${url}\n`);
          process.exit(0);
        }
        process.stderr.write(`not ready: ${url} answered ${response.status} ${await response.text()}\n`);
      } catch (error) {
        process.stderr.write(`not ready: ${url}: ${(error as Error).message}\n`);
      }
      process.exit(1);
    });
}
