import { workerData } from 'node:worker_threads';
import { createShipper, type NodeShipperOptions, type ShipperReport } from '@livelog/client/node';
import build from 'pino-abstract-transport';
import { mapPinoRecord } from './map-pino-record.js';

/**
 * Options of the transport, as given in `pino.transport({ target: '@livelog/pino', options })`.
 * They cross into pino's worker thread, so they are plain data: every shipper option (`url`,
 * `token`, `source`, batch sizes, `lingerMs`, `retry`, `maxBufferedBytes`, `spoolDir`, …) and:
 */
export interface LivelogPinoOptions extends NodeShipperOptions {
  /** pino's `messageKey` when pino cannot tell the transport (pino before 9.x). Defaults to `msg`. */
  messageKey?: string;
  /**
   * How long closing waits for the server's acknowledgements. pino's main thread waits at most 10 s
   * for the worker at exit, so this stays under that. Records still unacknowledged then are reported
   * on stderr (and stay in the spool when `spoolDir` is set). Defaults to 8,000 ms.
   */
  closeTimeoutMs?: number;
}

/** Whether this pino sends its config (messageKey, errorKey, levels) to transports: pino >= 9.x does. */
function pinoSendsConfig(): boolean {
  return (workerData as { workerData?: { pinoWillSendConfig?: boolean } } | null)?.workerData?.pinoWillSendConfig === true;
}

/**
 * The pino transport: `pino.transport({ target: '@livelog/pino', options: { url, … } })`. It runs
 * in pino's worker thread, maps each record to a livelog entry (see `mapPinoRecord`), ships them with
 * the client's shipper, and flushes in `close`, which pino calls when the logger ends or the process
 * exits.
 * @see ../../../docs/guides/shipping-logs.md
 */
export default async function livelogTransport(options: LivelogPinoOptions) {
  const { messageKey = 'msg', closeTimeoutMs = 8000, ...shipperOptions } = options;
  const shipper = createShipper(shipperOptions);
  // A spool that cannot be opened (held by another process) fails the transport at start, loudly.
  await shipper.ready();
  shipper.on('rejected', (event) => {
    process.stderr.write(`@livelog/pino: the server refused ${event.count} record(s) [${event.code ?? event.status}]: ${event.message}\n`);
  });
  let consumed: Promise<void> = Promise.resolve();
  const expectPinoConfig = pinoSendsConfig();
  return build(
    (source) => {
      const config = {
        messageKey: (expectPinoConfig && (source as { messageKey?: string }).messageKey) || messageKey,
        errorKey: (expectPinoConfig && (source as { errorKey?: string }).errorKey) || 'err',
        levelValues: (source as { levels?: { values?: Record<string, number> } }).levels?.values,
        ...(shipperOptions.source === undefined ? {} : { source: shipperOptions.source }),
      };
      consumed = (async () => {
        for await (const record of source as AsyncIterable<Record<string, unknown>>) {
          if (!shipper.write(mapPinoRecord(record, config))) await shipper.waitForRoom();
        }
      })();
      return consumed;
    },
    {
      expectPinoConfig,
      async close() {
        await consumed.catch(() => undefined);
        report(await shipper.close({ timeoutMs: closeTimeoutMs }));
      },
    },
  );
}

function report(result: ShipperReport): void {
  if (result.complete) return;
  const where = result.spooled > 0 ? `; ${result.spooled} are kept in the spool and sent by the next start` : '';
  process.stderr.write(`@livelog/pino: ${result.unacknowledged} record(s) were not acknowledged before close${where}\n`);
}
