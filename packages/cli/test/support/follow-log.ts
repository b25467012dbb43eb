import type { LogEntry } from '@livelog/protocol';

// What the `pipe --follow` tests write to their files and expect back: numbered lines.

/** `line from` … `line to-1`, one per line, as a log file holds them. */
export function lines(from: number, to: number): string {
  let text = '';
  for (let i = from; i < to; i++) text += `line ${i}\n`;
  return text;
}

/** The messages `lines(from, to)` becomes once stored. */
export function numbered(from: number, to: number): string[] {
  return Array.from({ length: to - from }, (_, i) => `line ${from + i}`);
}

/** Every message stored in `stream`, oldest first, paging through history; none when the stream does not exist. */
export async function storedMessages(url: string, stream: string): Promise<string[]> {
  const messages: string[] = [];
  let position = 'from=start';
  for (;;) {
    const response = await fetch(`${url}/api/streams/${stream}/logs?${position}&limit=1000`);
    if (response.status === 404) return messages;
    const page = (await response.json()) as { entries: LogEntry[]; hasMore: boolean };
    for (const entry of page.entries) messages.push(entry.msg);
    const last = page.entries[page.entries.length - 1];
    if (!page.hasMore || last === undefined) return messages;
    position = `after=${encodeURIComponent(last.id)}`;
  }
}
