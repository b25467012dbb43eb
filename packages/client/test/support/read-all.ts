import type { LogEntry } from '@livelog/protocol';

/** Every retained entry of the server at `base`, oldest first, read through the history API page by page. */
export async function readAll(base: string, headers: Record<string, string> = {}): Promise<LogEntry[]> {
  const entries: LogEntry[] = [];
  let query = 'from=start';
  for (;;) {
    const response = await fetch(`${base}/api/logs?${query}&limit=1000`, { headers });
    if (response.status !== 200) throw new Error(`history answered ${response.status}: ${await response.text()}`);
    const page = (await response.json()) as { entries: LogEntry[]; hasMore: boolean };
    entries.push(...page.entries);
    const last = page.entries[page.entries.length - 1];
    if (!page.hasMore || last === undefined) return entries;
    query = `after=${encodeURIComponent(last.id)}`;
  }
}

/** The first position where `messages` differs from `line 1`, `line 2`, … (or -1), for a readable failure. */
export function firstOutOfOrder(messages: readonly string[], prefix = 'line', from = 1): number {
  return messages.findIndex((msg, i) => msg !== `${prefix} ${from + i}`);
}
