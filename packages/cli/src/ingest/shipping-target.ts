import type { EndStreamOptions, Shipper, ShipperReport } from '@livelog/client';
import { createFileSpool, createShipper } from '@livelog/client/node';
import { isLivelogError } from '@livelog/core/ingest';
import { parseDuration } from '@livelog/protocol';
import type { LivelogServer } from '@livelog/server';
import { DEFAULTS } from '@livelog/server/defaults';
import { checkUrl } from '../commands/read-target.js';
import { checkedSource, checkedStream, DEFAULT_FLUSH_TIMEOUT, fail, type ShippingFlags, usage } from './shipping-options.js';
import { endWithRetries } from './stream-end.js';

/** Where lines go: a shipper, and the embedded server when no `--server` was given. */
export interface ShippingTarget {
  url: string;
  shipper: Shipper;
  embedded: LivelogServer | undefined;
  /** The console page of what is shipped: with `--stream`, that stream's own URL. */
  consoleUrl: string;
  /**
   * With `--stream`: once every line is acknowledged (bounded by `--flush-timeout`), ends the stream
   * with `end`, so its readers stop. A stream with lines still unacknowledged is left open: lines sent
   * after its end would be refused. Says on stderr what went wrong; resolves true when it was ended.
   */
  endStream(end: EndStreamOptions): Promise<boolean>;
  /** Waits for the acknowledgements (bounded by `--flush-timeout`), says on stderr what is left, stops the embedded server. */
  finish(options?: { keepServer?: boolean }): Promise<ShipperReport>;
}

/** The console page showing `stream` (or the `default` stream) of the server at `url`. */
export function consolePage(url: string, stream: string | undefined): string {
  return stream === undefined ? `${url}/` : `${url}/?stream=${encodeURIComponent(stream)}`;
}

/**
 * Says on stderr that the embedded server goes on serving, and waits for Ctrl-C (or SIGTERM). The
 * console would go with the process otherwise, just when the user wants to look at what was shipped.
 */
export async function serveUntilInterrupted(what: string, page: string): Promise<void> {
  process.stderr.write(`${what}; console at ${page} until Ctrl-C (--exit to leave at once)\n`);
  let stop = (): void => undefined;
  await new Promise<void>((resolve) => {
    stop = resolve;
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  // Both off: a signal sent to this process later must act as it normally would.
  process.off('SIGINT', stop);
  process.off('SIGTERM', stop);
}

/** Starts the embedded server when needed and a shipper to the target; exits with a message on bad flags. */
export async function openShipping(command: string, flags: ShippingFlags, source: string): Promise<ShippingTarget> {
  const say = (text: string): void => {
    process.stderr.write(`livelog ${command}: ${text}\n`);
  };
  checkedSource(command, source);
  const flushTimeoutMs = parseDuration(flags.flushTimeout ?? DEFAULT_FLUSH_TIMEOUT);
  // Zero gave up before the first acknowledgement could come, and every line was lost (exit 1): a
  // usage error, as `verify --timeout 0` is, rather than a silent "do not wait".
  if (flushTimeoutMs === undefined || flushTimeoutMs <= 0)
    usage(command, `--flush-timeout must be a positive duration such as 10s or 1m, got ${JSON.stringify(flags.flushTimeout)}`);
  const stream = checkedStream(command, flags.stream);
  // Without --server, a spool that cannot be opened is found before the embedded server opens its
  // store and binds its port: the command fails either way, and must leave nothing behind.
  if (flags.spool && !flags.server && !process.env.LIVELOG_SERVER) await checkSpool(command, flags.spool);
  const { url, embedded } = await openServer(
    command,
    flags,
    `source "${source}"${stream === undefined ? '' : `, stream "${stream}"`}`,
    stream,
  );
  let shipper: Shipper;
  try {
    shipper = createShipper({
      url,
      source,
      ...(stream === undefined ? {} : { stream }),
      ...(flags.token ? { token: flags.token } : {}),
      ...(flags.spool ? { spoolDir: flags.spool } : {}),
    });
  } catch (error) {
    fail(command, messageOf(error));
  }
  // Listening before the spool opens: its `recovered` event comes as soon as it has been read.
  let opening = true;
  reportProblems(shipper, url, say, () => opening);
  // A spool that cannot be opened is reported by both its `spool-error` event and this rejection:
  // said once, here, where it ends the command.
  await shipper.ready().catch((error: unknown) => fail(command, `cannot open the spool: ${messageOf(error)}`));
  opening = false;
  const target = url;
  return {
    url: target,
    shipper,
    embedded,
    consoleUrl: consolePage(target, stream),
    async endStream(end) {
      if (stream === undefined) return false;
      const report = await shipper.flush({ idleTimeoutMs: flushTimeoutMs });
      // Refused lines will never be stored, so they do not hold the end back; unacknowledged ones might be.
      if (report.unacknowledged > 0) {
        say(
          `stream ${stream} was left open: ${report.unacknowledged} line(s) are not acknowledged yet, and would be refused after its end`,
        );
        return false;
      }
      const problem = await endWithRetries(
        { url: target, stream, timeoutMs: flushTimeoutMs, ...(flags.token ? { token: flags.token } : {}) },
        end,
      );
      if (problem !== undefined) say(problem);
      return problem === undefined;
    },
    async finish(options = {}) {
      const report = await shipper.close({ idleTimeoutMs: flushTimeoutMs });
      if (report.unacknowledged > 0) {
        say(
          report.spooled > 0
            ? `${report.spooled} line(s) not acknowledged by ${target} yet are kept in ${flags.spool}; the next run with --spool ${flags.spool} sends them` +
                (report.unsent > 0 ? `; ${report.unsent} more were only in memory and are lost` : '')
            : `${report.unacknowledged} line(s) were not acknowledged by ${target} (nothing was acknowledged for ${flags.flushTimeout ?? DEFAULT_FLUSH_TIMEOUT}) and are lost (use --spool to keep them)`,
        );
      }
      if (embedded !== undefined && !options.keepServer) await embedded.close();
      return report;
    },
  };
}

/** Opens the spool and closes it again (releasing its lock), or fails the command as the shipper would. */
async function checkSpool(command: string, dir: string): Promise<void> {
  const spool = createFileSpool({ dir });
  await spool.open().catch((error: unknown) => fail(command, `cannot open the spool: ${messageOf(error)}`));
  await spool.close();
}

/**
 * LIVELOG_SERVER, the variable `run` and `pipe` read before every client command read LIVELOG_URL:
 * still honoured, with a warning, so scripts keep working until they are changed.
 */
function deprecatedServerVariable(command: string): string | undefined {
  const value = process.env.LIVELOG_SERVER;
  if (value === undefined || value === '') return undefined;
  process.stderr.write(`livelog ${command}: LIVELOG_SERVER is deprecated; set LIVELOG_URL (every client command reads it)\n`);
  return value;
}

/** The server lines go to: `--server`, else an embedded one, started here (its console's URL said on stderr). */
export async function openServer(
  command: string,
  flags: ShippingFlags,
  what: string,
  stream?: string,
): Promise<{ url: string; embedded: LivelogServer | undefined }> {
  let embedded: LivelogServer | undefined;
  let url = flags.server ?? deprecatedServerVariable(command);
  // Checked here, before anything starts: the shipper would refuse it later as its own failure (exit
  // 1, or 125 for run) in its own words, and `verify`/`tail` call the same mistake a usage error.
  const urlProblem = url === undefined || url === '' ? undefined : checkUrl(url);
  if (urlProblem !== undefined) usage(command, urlProblem);
  if (url === undefined || url === '') {
    embedded = await startEmbedded(command, flags);
    url = await embedded.listen().catch(async (error: unknown) => {
      if (flags.port !== undefined || (error as NodeJS.ErrnoException).code !== 'EADDRINUSE') fail(command, messageOf(error));
      // The default port is taken (another livelog, most likely): any free port will do.
      await (embedded as LivelogServer).close();
      embedded = await startEmbedded(command, { ...flags, port: '0' });
      return embedded.listen();
    });
    process.stderr.write(`livelog ${command}: console at ${consolePage(url, stream)} (${what})\n`);
  }
  return { url, embedded };
}

async function startEmbedded(command: string, flags: ShippingFlags): Promise<LivelogServer> {
  try {
    // Silent: the server's own log would land on stdout, in the middle of the program's output.
    // Loaded only when a server is embedded: shipping to --server needs none of it, and starts faster.
    const { createServer, resolveServerConfig } = await import('@livelog/server');
    const config = resolveServerConfig({ port: flags.port ?? DEFAULTS.port, data: flags.data ?? DEFAULTS.data, logLevel: 'silent' });
    return await createServer(config);
  } catch (error) {
    const hint =
      isLivelogError(error) && error.code === 'LIVELOG_ERR_STORE_LOCKED' ? ' (use --data for another directory, or --server)' : '';
    fail(command, `${messageOf(error)}${hint}`);
  }
}

/** One stderr line per problem episode, not one per retry: the terminal belongs to the program. */
function reportProblems(shipper: Shipper, url: string, say: (text: string) => void, opening: () => boolean): void {
  let failing = false;
  // Full while deliveries succeed is ordinary backpressure (the server is slower than the input);
  // full while they fail is what the user must hear about.
  let heldBack = false;
  shipper.on('retry', (event) => {
    if (failing) return;
    failing = true;
    say(`cannot deliver to ${url} (${event.message}); retrying, lines are kept`);
  });
  shipper.on('acknowledged', () => {
    if (!failing) return;
    failing = false;
    heldBack = false;
    say(`delivering to ${url} again`);
  });
  shipper.on('full', (event) => {
    if (!failing || heldBack) return;
    heldBack = true;
    say(`${Math.round(event.bufferedBytes / 1024)} KiB of lines are waiting for ${url}; the input is held back until they are delivered`);
  });
  shipper.on('rejected', (event) => {
    say(`the server refused ${event.count} line(s)${event.code ? ` [${event.code}]` : ''}: ${event.message}`);
  });
  // One line per episode: a full disk refuses every batch after the first, each with the same words.
  let spoolError: string | undefined;
  shipper.on('spool-error', (event) => {
    if (opening() || event.message === spoolError) return;
    spoolError = event.message;
    say(`spool: ${event.message}`);
  });
  shipper.on('recovered', (event) => say(`sending ${event.records} line(s) left in the spool by an earlier run first`));
}

function messageOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return isLivelogError(error) ? `${message} [${error.code}]` : message;
}
