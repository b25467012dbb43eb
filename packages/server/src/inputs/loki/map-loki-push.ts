import { checkSource, type IngestLimits, LivelogError, type NewEntry, parseLevelValue, recognizeLevel } from '@livelog/core';
import { type LevelName, parseTime } from '@livelog/protocol';
import { DEFAULTS } from '../../defaults.js';
import { type EntryGroup, streamNameOf } from '../entry-group.js';
import { InputBatch, lineTooLong } from '../input-batch.js';
import type { ReplacedStrings } from '../utf8-checking-reader.js';
import type { LokiStream } from './loki-streams.js';

/** Labels looked at, in order, for an entry's source, unless configured otherwise. */
export const DEFAULT_LOKI_SOURCE_LABELS: readonly string[] = DEFAULTS.lokiSourceLabels.split(',');

/** Labels and structured metadata keys read as the entry's level, in order. */
const LEVEL_KEYS = ['level', 'detected_level', 'severity', 'lvl', 'loglevel'];

/** How Loki streams become entries. */
export interface LokiMapOptions {
  /** The first of these labels present gives `source`. Defaults to DEFAULT_LOKI_SOURCE_LABELS. */
  sourceLabels?: readonly string[];
  /** The source of streams with none of those labels. Defaults to `loki`. */
  fallbackSource?: string;
  /**
   * A label whose value names the livelog stream of each Loki stream (see `streamNameOf`); streams
   * without it, or whose value leaves no usable name, go to the request's stream.
   */
  streamLabel?: string;
  limits: IngestLimits;
  replaced?: ReplacedStrings;
}

/** The entries of one push, grouped by target stream, and how many lines it held. */
export interface LokiMapResult {
  groups: EntryGroup[];
  lines: number;
}

/**
 * Maps the streams of a Loki push to entries: the line is `msg`, byte for byte; the first source
 * label present is `source`; the level comes from a `level`, `detected_level`, `severity`, `lvl` or
 * `loglevel` structured-metadata key or label, else from the line's text as for native text
 * ingest, else info; the other labels, then the structured metadata (which wins a name clash),
 * are `fields`. A push is all or nothing, like a native batch: a time beyond year 9999, a line past
 * the line limit or a source that is not a printable name rejects it whole, naming the line.
 */
export function mapLokiPush(streams: readonly LokiStream[], options: LokiMapOptions): LokiMapResult {
  const sourceLabels = options.sourceLabels ?? DEFAULT_LOKI_SOURCE_LABELS;
  const batch = new InputBatch(options.limits);
  let line = 0;
  for (const stream of streams) {
    const { labels } = stream;
    const sourceLabel = sourceLabels.find((name) => labels[name] !== undefined && labels[name] !== '');
    const source = sourceLabel === undefined ? (options.fallbackSource ?? 'loki') : checkSource(labels[sourceLabel], line + 1);
    const streamValue = options.streamLabel === undefined ? undefined : labels[options.streamLabel];
    const target = streamValue === undefined ? undefined : streamNameOf(streamValue);
    const labelLevelKey = LEVEL_KEYS.find((key) => labels[key] !== undefined && parseLevelValue(labels[key]) !== undefined);
    const labelFields: Record<string, string> = {};
    let labelsInvalid = false;
    for (const [name, value] of Object.entries(labels)) {
      if (options.replaced?.(value) || options.replaced?.(name)) labelsInvalid = true;
      if (name !== sourceLabel && name !== labelLevelKey) labelFields[name] = value;
    }
    const labelLevel = labelLevelKey === undefined ? undefined : parseLevelValue(labels[labelLevelKey]);
    const hasLabelFields = Object.keys(labelFields).length > 0;
    for (const item of stream.entries) {
      line++;
      const time = parseTime(item.time);
      if (time === undefined) {
        throw new LivelogError('LIVELOG_ERR_INGEST_BAD_TIME', `line ${line}: the timestamp lies outside the years 1970 to 9999`, { line });
      }
      const tooLong = lineTooLong(item.line, options.limits, `line ${line}`);
      if (tooLong !== undefined) throw new LivelogError(tooLong.code, tooLong.message, { line });
      let level: LevelName | undefined;
      let fields: Record<string, unknown> | undefined = hasLabelFields ? labelFields : undefined;
      let invalid = labelsInvalid || options.replaced?.(item.line) === true;
      if (item.metadata !== undefined) {
        const metadataLevelKey = LEVEL_KEYS.find(
          (key) => item.metadata?.[key] !== undefined && parseLevelValue(item.metadata[key]) !== undefined,
        );
        if (metadataLevelKey !== undefined) level = parseLevelValue(item.metadata[metadataLevelKey]);
        const merged: Record<string, unknown> = { ...labelFields };
        for (const [name, value] of Object.entries(item.metadata)) {
          if (options.replaced?.(value) || options.replaced?.(name)) invalid = true;
          if (name !== metadataLevelKey) merged[name] = value;
        }
        fields = Object.keys(merged).length > 0 ? merged : undefined;
      }
      const entry: NewEntry = { time, level: level ?? labelLevel ?? recognizeLevel(item.line) ?? 'info', source, msg: item.line };
      if (fields !== undefined) entry.fields = fields;
      if (invalid) entry.invalidUtf8 = true;
      batch.add(entry, target);
    }
  }
  return { groups: batch.entries === 0 ? [] : batch.groups, lines: line };
}
