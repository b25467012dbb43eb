import { checkSource, type IngestLimits, isLivelogError, type NewEntry, parseLevelValue } from '@livelog/core';
import type { LevelName } from '@livelog/protocol';
import { DEFAULTS } from '../../defaults.js';
import type { EntryGroup } from '../entry-group.js';
import { InputBatch, lineTooLong } from '../input-batch.js';
import { anyValueToJson, keyValuesToObject, type PickedKey, type ValueScope } from './any-value.js';
import { at, ROOT, readArray, readId, readObject, readString, readUint32, readUint64, type Where } from './otlp-values.js';

/** How OTLP log records become entries. */
export interface OtlpMapOptions {
  /** The attribute whose value becomes `source`: a record attribute, else a resource attribute. Defaults to `service.name`. */
  sourceAttribute?: string;
  /** The source of records without that attribute. Defaults to `otlp`. */
  fallbackSource?: string;
  /** Receive time in ms, for records that carry no time. */
  now: number;
  limits: IngestLimits;
  /** The stream every record goes to; undefined for the request's stream. */
  stream?: string;
  /** Tells strings whose bytes were invalid UTF-8 (see Utf8CheckingReader). */
  replaced?: ((text: string) => boolean) | undefined;
}

/** The entries of one OTLP request, and the records refused one by one. */
export interface OtlpMapResult {
  groups: EntryGroup[];
  /** Log records in the request. */
  records: number;
  /** Records refused (answered in `partialSuccess`), each stored nowhere. */
  rejected: number;
  /** Why, for `partialSuccess.errorMessage`: the first refusal with its code, and how many more. */
  errorMessage: string;
}

const NS_PER_MS = 1_000_000n;
/** OTLP SeverityNumber ranges, 1-4 TRACE ... 21-24 FATAL. */
const SEVERITY_LEVELS: readonly LevelName[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

/**
 * Maps an `ExportLogsServiceRequest` (decoded from protobuf, or parsed OTLP JSON) to entries:
 * - `level` from `severityNumber` (1-4 trace, 5-8 debug, 9-12 info, 13-16 warn, 17-20 error,
 *   21-24 fatal), else `severityText` read like a native level, else info;
 * - `time` from `timeUnixNano`, else `observedTimeUnixNano`, else the receive time;
 * - `source` from the source attribute (record, else resource), else the fallback;
 * - `msg` from a string body; a key-value body gives its `msg`/`message` string as `msg` and the
 *   other keys as `fields.body`; any other body is written as JSON text (bytes as base64);
 * - `fields`: the record's attributes under their own names, then `trace_id`, `span_id`,
 *   `trace_flags`, `severity_text` (when it says more than the level), `event_name`,
 *   `dropped_attributes_count`, `body`, `scope` `{name, version, attributes}` and `resource`
 *   (the resource's attributes but the source one).
 *
 * A record that cannot be stored (nesting past the depth limit, a source that is not a printable
 * name, a body past the line limit) is refused alone and counted for `partialSuccess`. A request that is not OTLP at all throws LIVELOG_ERR_OTLP_MALFORMED; more
 * entries than the batch limit throw LIVELOG_ERR_INGEST_TOO_MANY_ENTRIES.
 */
export function mapOtlpLogs(request: unknown, options: OtlpMapOptions): OtlpMapResult {
  const sourceAttribute = options.sourceAttribute ?? DEFAULTS.otlpSourceAttribute;
  const fallbackSource = options.fallbackSource ?? 'otlp';
  const batch = new InputBatch(options.limits);
  const refusals: string[] = [];
  let records = 0;
  const scope: ValueScope = { maxDepth: options.limits.maxDepth, replaced: options.replaced, invalidUtf8: false };
  const root = readObject(request, ROOT, 'request') ?? {};
  const resourceLogs = readArray(root.resourceLogs, ROOT, 'resourceLogs');
  for (let r = 0; r < resourceLogs.length; r++) {
    const resourceWhere: Where = () => `resourceLogs[${r}]`;
    const resourceEntry = readObject(resourceLogs[r], ROOT, `resourceLogs[${r}]`) ?? {};
    const scopeLogs = readArray(resourceEntry.scopeLogs, resourceWhere, 'scopeLogs');
    let recordCount = 0;
    for (let s = 0; s < scopeLogs.length; s++) {
      recordCount += readArray(
        readObject(scopeLogs[s], resourceWhere, `scopeLogs[${s}]`)?.logRecords,
        resourceWhere,
        `scopeLogs[${s}].logRecords`,
      ).length;
    }
    records += recordCount;
    let resource: ResourceView;
    try {
      resource = readResource(resourceEntry.resource, sourceAttribute, scope, () => at(resourceWhere, 'resource'));
    } catch (error) {
      // A resource that cannot be stored refuses every record under it.
      refuse(error, at(resourceWhere, 'resource'), recordCount, refusals);
      continue;
    }
    for (let s = 0; s < scopeLogs.length; s++) {
      const scopeWhere: Where = () => at(resourceWhere, `scopeLogs[${s}]`);
      const scopeEntry = (scopeLogs[s] ?? {}) as Record<string, unknown>;
      const logRecords = readArray(scopeEntry.logRecords, scopeWhere, 'logRecords');
      let instrumentation: ScopeView;
      try {
        instrumentation = readScope(scopeEntry.scope, scope, () => at(scopeWhere, 'scope'));
      } catch (error) {
        refuse(error, at(scopeWhere, 'scope'), logRecords.length, refusals);
        continue;
      }
      for (let i = 0; i < logRecords.length; i++) {
        const where: Where = () => at(scopeWhere, `logRecords[${i}]`);
        let entry: NewEntry;
        try {
          scope.invalidUtf8 = resource.invalidUtf8 || instrumentation.invalidUtf8;
          const record = readObject(logRecords[i], scopeWhere, `logRecords[${i}]`) ?? {};
          entry = recordEntry(record, resource, instrumentation, sourceAttribute, fallbackSource, options, scope, where);
        } catch (error) {
          refuse(error, where(), 1, refusals);
          continue;
        }
        batch.add(entry, options.stream);
      }
    }
  }
  const rejected = records - batch.records;
  const errorMessage =
    refusals.length === 0 ? '' : refusals.length === 1 ? (refusals[0] as string) : `${refusals[0]} (and ${refusals.length - 1} more)`;
  return { groups: batch.entries === 0 ? [] : batch.groups, records, rejected, errorMessage };
}

interface ResourceView {
  /** The resource's attributes but the source attribute, or undefined when none are left. */
  attributes: Record<string, unknown> | undefined;
  source: string | undefined;
  invalidUtf8: boolean;
}

interface ScopeView {
  scope: Record<string, unknown> | undefined;
  invalidUtf8: boolean;
}

function readResource(value: unknown, sourceAttribute: string, scope: ValueScope, where: Where): ResourceView {
  scope.invalidUtf8 = false;
  const resource = readObject(value, where, '');
  const pick: PickedKey = { key: sourceAttribute };
  const attributes = keyValuesToObject(readArray(resource?.attributes, where, 'attributes'), 2, scope, () => at(where, 'attributes'), pick);
  return { attributes: hasKeys(attributes) ? attributes : undefined, source: sourceOf(pick.value), invalidUtf8: scope.invalidUtf8 };
}

function readScope(value: unknown, scope: ValueScope, where: Where): ScopeView {
  scope.invalidUtf8 = false;
  const instrumentation = readObject(value, where, '');
  if (instrumentation === undefined) return { scope: undefined, invalidUtf8: false };
  const name = readString(instrumentation.name, where, 'name');
  const version = readString(instrumentation.version, where, 'version');
  const attributes = keyValuesToObject(readArray(instrumentation.attributes, where, 'attributes'), 3, scope, () => at(where, 'attributes'));
  const out: Record<string, unknown> = {};
  if (name !== '') out.name = name;
  if (version !== '') out.version = version;
  if (Object.keys(attributes).length > 0) out.attributes = attributes;
  if (scope.replaced?.(name) || scope.replaced?.(version)) scope.invalidUtf8 = true;
  return { scope: Object.keys(out).length > 0 ? out : undefined, invalidUtf8: scope.invalidUtf8 };
}

function recordEntry(
  record: Record<string, unknown>,
  resource: ResourceView,
  instrumentation: ScopeView,
  sourceAttribute: string,
  fallbackSource: string,
  options: OtlpMapOptions,
  scope: ValueScope,
  where: Where,
): NewEntry {
  const time = recordTime(record, options.now, where);
  const severityNumber = readUint32(severityOf(record.severityNumber), where, 'severityNumber');
  const severityText = readString(record.severityText, where, 'severityText');
  const level = levelOf(severityNumber, severityText);
  const pick: PickedKey = { key: sourceAttribute };
  const fields = keyValuesToObject(readArray(record.attributes, where, 'attributes'), 1, scope, () => at(where, 'attributes'), pick);
  const source = sourceOf(pick.value) ?? resource.source;
  const traceId = readId(record.traceId, 16, where, 'traceId');
  const spanId = readId(record.spanId, 8, where, 'spanId');
  const flags = readUint32(record.flags, where, 'flags') & 0xff;
  if (traceId !== undefined) fields.trace_id = traceId;
  if (spanId !== undefined) fields.span_id = spanId;
  if (flags !== 0) fields.trace_flags = flags;
  if (severityText !== '' && severityText.toLowerCase() !== level) fields.severity_text = severityText;
  const eventName = readString(record.eventName, where, 'eventName');
  if (eventName !== '') fields.event_name = eventName;
  const dropped = readUint32(record.droppedAttributesCount, where, 'droppedAttributesCount');
  if (dropped > 0) fields.dropped_attributes_count = dropped;
  const msg = bodyMessage(record.body, fields, scope, () => at(where, 'body'));
  if (instrumentation.scope !== undefined) fields.scope = instrumentation.scope;
  if (resource.attributes !== undefined) fields.resource = resource.attributes;
  const tooLong = lineTooLong(msg, options.limits, 'the body');
  if (tooLong !== undefined) throw tooLong;
  if (scope.replaced?.(severityText) || scope.replaced?.(eventName)) scope.invalidUtf8 = true;
  const entry: NewEntry = { time, level, source: source ?? fallbackSource, msg };
  if (hasKeys(fields)) entry.fields = fields;
  if (scope.invalidUtf8) entry.invalidUtf8 = true;
  return entry;
}

function recordTime(record: Record<string, unknown>, now: number, where: Where): number {
  let ns = readUint64(record.timeUnixNano, where, 'timeUnixNano');
  if (ns === 0n) ns = readUint64(record.observedTimeUnixNano, where, 'observedTimeUnixNano');
  // Any fixed64 of ns lies before the year 2555, well inside the range livelog stores.
  return ns === 0n ? now : Number(ns / NS_PER_MS);
}

/** OTLP JSON must send enum values as integers; the protobuf JSON names are accepted too. */
function severityOf(value: unknown): unknown {
  if (typeof value !== 'string' || !value.startsWith('SEVERITY_NUMBER_')) return value;
  const name = value.slice('SEVERITY_NUMBER_'.length).toLowerCase();
  const match = /^(trace|debug|info|warn|error|fatal)([234]?)$/.exec(name);
  if (match === null) return 0;
  return SEVERITY_LEVELS.indexOf(match[1] as LevelName) * 4 + Number(match[2] || 1);
}

function levelOf(severityNumber: number, severityText: string): LevelName {
  if (severityNumber >= 1 && severityNumber <= 24) return SEVERITY_LEVELS[Math.floor((severityNumber - 1) / 4)] as LevelName;
  return (severityText === '' ? undefined : parseLevelValue(severityText)) ?? 'info';
}

function bodyMessage(value: unknown, fields: Record<string, unknown>, scope: ValueScope, where: Where): string {
  const body = anyValueToJson(value, 1, scope, where);
  if (body === null) return '';
  if (typeof body === 'string') return body;
  if (typeof body !== 'object' || Array.isArray(body))
    return typeof body === 'number' || typeof body === 'boolean' ? String(body) : JSON.stringify(body);
  const object = body as Record<string, unknown>;
  const key = typeof object.msg === 'string' ? 'msg' : typeof object.message === 'string' ? 'message' : undefined;
  if (key === undefined) return JSON.stringify(object);
  const msg = object[key] as string;
  delete object[key];
  if (Object.keys(object).length > 0) fields.body = object;
  return msg;
}

/** The source an attribute value names, checked like every source; undefined for none. */
function sourceOf(value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  return checkSource(typeof value === 'string' ? value : JSON.stringify(value));
}

function hasKeys(object: object): boolean {
  for (const _ in object) return true;
  return false;
}

function refuse(error: unknown, path: string, records: number, refusals: string[]): void {
  // Request-level problems (not OTLP at all, too many entries) are the whole request's answer.
  if (!isLivelogError(error) || error.code === 'LIVELOG_ERR_OTLP_MALFORMED' || error.code === 'LIVELOG_ERR_INGEST_TOO_MANY_ENTRIES') {
    throw error;
  }
  if (records === 0) return;
  const message = error.message.startsWith(path) ? error.message : `${path}: ${error.message}`;
  refusals.push(`${error.code}: ${message}${records > 1 ? ` (${records} records)` : ''}`);
}
