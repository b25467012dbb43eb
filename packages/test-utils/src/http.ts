import type { IngestReply, LogEntry } from '@livelog/protocol';

/** What a POST to the ingest route got back, whatever the status. */
export interface PostLogsReply {
  status: number;
  body: unknown;
  headers: Headers;
}

/** POSTs `body` to `<base>/api/logs` with `contentType`; resolves whatever the status. */
export async function postLogs(
  base: string,
  body: string | Uint8Array,
  contentType = 'application/x-ndjson',
  headers: Record<string, string> = {},
  query = '',
): Promise<PostLogsReply> {
  const response = await fetch(`${base}/api/logs${query}`, {
    method: 'POST',
    headers: { 'content-type': contentType, ...headers },
    body,
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {}
  return { status: response.status, body: parsed, headers: response.headers };
}

/** NDJSON of `count` entries with messages `<prefix> <n>`, n counting from `from`. */
export function ndjson(count: number, prefix = 'line', from = 1, extra: Record<string, unknown> = {}): string {
  let out = '';
  for (let i = 0; i < count; i++) out += `${JSON.stringify({ msg: `${prefix} ${from + i}`, ...extra })}\n`;
  return out;
}

/** Ingests `count` entries in one batch; throws unless the server accepted them. */
export async function ingest(base: string, count: number, prefix = 'line', headers: Record<string, string> = {}): Promise<IngestReply> {
  const reply = await postLogs(base, ndjson(count, prefix), 'application/x-ndjson', headers);
  if (reply.status !== 200) throw new Error(`ingest failed: ${reply.status} ${JSON.stringify(reply.body)}`);
  return reply.body as IngestReply;
}

/** GETs JSON from `<base><path>`. */
export async function getJson<T>(base: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: T }> {
  const response = await fetch(`${base}${path}`, { headers });
  return { status: response.status, body: (await response.json()) as T };
}

/** `<base>/api/streams/<name><rest>`: the route of one named stream. */
export function streamPath(name: string, rest = ''): string {
  return `/api/streams/${encodeURIComponent(name)}${rest}`;
}

/** What a request got back, whatever the status: the status, the parsed JSON (or text) body, the headers. */
export interface JsonReply {
  status: number;
  body: unknown;
  headers: Headers;
}

/** Sends `method` to `<base><path>` with an optional JSON body; resolves whatever the status. */
export async function requestJson(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<JsonReply> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {}
  return { status: response.status, body: parsed, headers: response.headers };
}

/** POSTs NDJSON `body` to the stream `name`; resolves whatever the status. */
export function postStreamLogs(base: string, name: string, body: string, headers: Record<string, string> = {}): Promise<JsonReply> {
  return requestJson(base, 'POST', streamPath(name, '/logs'), body, { 'content-type': 'application/x-ndjson', ...headers });
}

/** Ends the stream `name` with `end` (`{exitCode, reason}`); resolves whatever the status. */
export function postStreamEnd(
  base: string,
  name: string,
  end: { exitCode?: number; reason?: string } = {},
  headers: Record<string, string> = {},
): Promise<JsonReply> {
  return requestJson(base, 'POST', streamPath(name, '/end'), end, headers);
}

/** Every entry of `GET /api/logs` (the stream `default`) with `query` (filters), oldest first, page by page. */
export async function storedEntries(base: string, query = ''): Promise<LogEntry[]> {
  const entries: LogEntry[] = [];
  let position = 'from=start';
  for (;;) {
    const page = (await (await fetch(`${base}/api/logs?${position}&limit=1000${query === '' ? '' : `&${query}`}`)).json()) as {
      entries: LogEntry[];
      hasMore: boolean;
    };
    entries.push(...page.entries);
    const last = page.entries.at(-1);
    if (!page.hasMore || last === undefined) return entries;
    position = `after=${encodeURIComponent(last.id)}`;
  }
}
