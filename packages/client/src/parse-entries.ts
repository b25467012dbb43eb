import type { LogEntry } from '@livelog/protocol';

/**
 * Parses the data of consecutive entry events with one JSON.parse of the joined array: one call per
 * network chunk instead of one per entry is most of what lets delivery keep up with the network.
 * The joined parse is trusted only if it splits back into the same events (same count, each entry's
 * id its event's id); otherwise the events are parsed one by one. Returns the entries before the
 * first event that holds no entry, and that event's index (`bad`, -1 when all are good).
 */
export function parseEntries(datas: readonly string[], ids: readonly string[]): { entries: LogEntry[]; bad: number } {
  let parsed: unknown;
  try {
    parsed = datas.length === 1 ? [JSON.parse(datas[0] as string)] : JSON.parse(`[${datas.join(',')}]`);
  } catch {}
  const list = Array.isArray(parsed) && parsed.length === datas.length ? (parsed as unknown[]) : undefined;
  const entries: LogEntry[] = [];
  for (let i = 0; i < datas.length; i++) {
    let entry = list?.[i];
    if (!isEntry(entry) || entry.id !== ids[i]) {
      try {
        entry = JSON.parse(datas[i] as string);
      } catch {
        entry = undefined;
      }
      if (!isEntry(entry)) return { entries, bad: i };
    }
    entries.push(entry);
  }
  return { entries, bad: -1 };
}

function isEntry(value: unknown): value is LogEntry {
  return typeof value === 'object' && value !== null && typeof (value as LogEntry).seq === 'number';
}
