import type { IngestReply } from '@livelog/protocol';

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
