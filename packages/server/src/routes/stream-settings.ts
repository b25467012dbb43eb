import { LivelogError, type SetStreamOptions } from '@livelog/core';
import { labelsProblem, parseDuration, parseSize, type StreamRetention } from '@livelog/protocol';
import { isUnlimited } from '../is-unlimited.js';

/** What a `PUT /api/streams/{name}` body asks for, checked. */
export interface StreamSettings extends SetStreamOptions {}

const RETENTION_KEYS = ['maxEntries', 'maxBytes', 'maxAgeMs'] as const;

/**
 * Reads `{labels?, retention?}`. Labels: LIVELOG_ERR_STREAM_BAD_LABELS when they break the label
 * rules. Retention: each of `maxEntries`, `maxBytes`, `maxAgeMs` a whole number (sizes and durations
 * may also be written `"500MB"`, `"7d"`; `"unlimited"` too), or `retention: null` to drop the override.
 */
export function parseStreamSettings(body: Record<string, unknown>): StreamSettings {
  for (const key of Object.keys(body)) {
    if (key !== 'labels' && key !== 'retention')
      throw badBody(`unknown key ${JSON.stringify(key.slice(0, 80))}; send labels and/or retention`);
  }
  const settings: StreamSettings = {};
  if (body.labels !== undefined) {
    const problem = labelsProblem(body.labels);
    if (problem !== undefined) throw new LivelogError('LIVELOG_ERR_STREAM_BAD_LABELS', problem);
    settings.labels = { ...(body.labels as Record<string, string>) };
  }
  if (body.retention === null) settings.retention = null;
  else if (body.retention !== undefined) settings.retention = parseRetention(body.retention);
  return settings;
}

function parseRetention(value: unknown): StreamRetention {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw badBody('retention must be an object or null');
  const retention: StreamRetention = {};
  for (const [key, raw] of Object.entries(value)) {
    if (!(RETENTION_KEYS as readonly string[]).includes(key)) {
      throw badBody(`retention.${key.slice(0, 80)} is not a limit; use maxEntries, maxBytes or maxAgeMs`);
    }
    // Unlimited is a limit of its own: it overrides a server default, which leaving the key out does not.
    if (typeof raw === 'string' && isUnlimited(raw)) {
      retention[key as (typeof RETENTION_KEYS)[number]] = Number.MAX_SAFE_INTEGER;
      continue;
    }
    const parsed =
      typeof raw === 'number'
        ? raw
        : typeof raw === 'string'
          ? key === 'maxAgeMs'
            ? parseDuration(raw)
            : key === 'maxBytes'
              ? parseSize(raw)
              : undefined
          : undefined;
    if (parsed === undefined || !Number.isSafeInteger(parsed) || parsed < 0) {
      throw badBody(
        `retention.${key} must be a whole number${key === 'maxAgeMs' ? ' of ms or a duration such as 7d' : key === 'maxBytes' ? ' of bytes or a size such as 500MB' : ''}, or "unlimited"`,
      );
    }
    retention[key as (typeof RETENTION_KEYS)[number]] = parsed;
  }
  return retention;
}

function badBody(message: string): LivelogError {
  return new LivelogError('LIVELOG_ERR_BAD_REQUEST', message);
}
