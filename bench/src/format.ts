/** Figures as the table prints them. */

export function perSecond(count: number, seconds: number): string {
  return `${Math.round(count / seconds).toLocaleString('en-US')}/s`;
}

export function rate(count: number, seconds: number): number {
  return count / seconds;
}

export function thousands(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

export function ms(us: number): string {
  return us >= 10_000 ? `${(us / 1000).toFixed(0)} ms` : `${(us / 1000).toFixed(2)} ms`;
}

export function kb(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KB`;
}

export function percent(ratio: number): string {
  return Number.isFinite(ratio) ? `${(ratio * 100).toFixed(0)}%` : '—';
}

export function times(ratio: number): string {
  return Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : '—';
}

/**
 * `server% / readers%` (percent of one core; reader processes joined by +), and with a tally the
 * server's CPU time per entry.
 */
export function cpu(percentages: number[], usPerEntry?: number): string {
  const one = (value: number | undefined): string => (value !== undefined && Number.isFinite(value) ? `${value.toFixed(0)}%` : '—');
  const [server, ...readers] = percentages;
  const perEntry =
    usPerEntry === undefined || !Number.isFinite(usPerEntry)
      ? ''
      : ` (${usPerEntry >= 1 ? `${usPerEntry.toFixed(1)} µs` : `${(usPerEntry * 1000).toFixed(0)} ns`}/entry)`;
  return `${one(server)} / ${readers.length === 0 ? '—' : readers.map(one).join('+')}${perEntry}`;
}

/** Server CPU per entry, ceiling over livelog, as a percentage. */
export function cpuRatio(live: { serverUsPerWork: number }, raw: { serverUsPerWork: number }): string {
  return percent(raw.serverUsPerWork / live.serverUsPerWork);
}

/** CPU figures of a tally. */
export function cpuOf(tally: { shares: number[]; serverUsPerWork: number }): string {
  return cpu(tally.shares, tally.serverUsPerWork);
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] as number;
}

/** The p-th percentile (0..1) of already sorted values. */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number;
}

/** Renders rows as an aligned text table. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] as number))
      .join(' | ')
      .trimEnd();
  return [line(header), widths.map((width) => '-'.repeat(width)).join('-|-'), ...rows.map(line)].join('\n');
}

/** Background CPU (other processes) during the livelog / ceiling runs. */
export function background(live: number, raw: number): string {
  const one = (value: number): string => (Number.isFinite(value) ? `${value.toFixed(0)}%` : '—');
  return `${one(live)} / ${one(raw)}`;
}
