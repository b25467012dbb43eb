import type { LevelName } from '@livelog/protocol';

/**
 * One log line as the shipper sends it: a record of the server's NDJSON ingest format. `msg` (or
 * `message`), `level` (a name, a common alias or a pino number), `time` (epoch ms or ISO 8601) and
 * `source` are the entry's own keys; every other key ends up in the entry's `fields`.
 *
 * @see https://github.com/livelog/livelog/blob/main/docs/reference/http-api.md (POST /api/logs)
 */
export interface LogRecord {
  msg?: string;
  message?: string;
  level?: LevelName | number | string;
  time?: number | string;
  source?: string;
  [key: string]: unknown;
}
