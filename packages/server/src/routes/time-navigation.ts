import { type HistogramQuery, hasHistogram, LivelogError, scanHistogram, seekTime } from '@livelog/core';
import {
  DEFAULT_STREAM,
  formatId,
  type HistogramBucket,
  type HistogramReply,
  type LevelName,
  levelFromNumber,
  type SeekReply,
} from '@livelog/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badParam, sinceNotBeforeUntil } from '../errors.js';
import { parseFilter, parseIntParam, parseTimeParam, queryOf } from './query-params.js';
import type { RouteContext } from './route-context.js';
import { streamParam } from './stream-name.js';
import { readableStream } from './stream-stores.js';

const DEFAULT_BUCKETS = 60;
const MAX_BUCKETS = 500;
/** Wall time a filtered histogram may spend reading entries before it answers `partial`. */
const HISTOGRAM_MAX_MS = 500;
/** Range of a histogram of an empty stream without `since`. */
const EMPTY_RANGE_MS = 3_600_000;

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Bucket widths people read at a glance, as Grafana and Kibana pick them. */
const STEPS = [
  1,
  2,
  5,
  10,
  20,
  50,
  100,
  200,
  500,
  SECOND,
  2 * SECOND,
  5 * SECOND,
  10 * SECOND,
  15 * SECOND,
  30 * SECOND,
  MINUTE,
  2 * MINUTE,
  5 * MINUTE,
  10 * MINUTE,
  15 * MINUTE,
  30 * MINUTE,
  HOUR,
  2 * HOUR,
  3 * HOUR,
  6 * HOUR,
  12 * HOUR,
  DAY,
  2 * DAY,
  7 * DAY,
];

/** `GET /api/seek` and `GET /api/histogram`, for `default` and under `/api/streams/{name}/`. */
export function registerTimeNavigation(app: FastifyInstance, context: RouteContext): void {
  const defaultRead = { onRequest: context.requireScope('read', DEFAULT_STREAM) };
  const streamRead = { onRequest: context.requireStream('read') };
  app.get('/api/seek', defaultRead, (request) => seek(context, DEFAULT_STREAM, request));
  app.get('/api/streams/:name/seek', streamRead, (request) => seek(context, streamParam(request), request));
  app.get('/api/histogram', defaultRead, (request) => histogram(context, DEFAULT_STREAM, request));
  app.get('/api/streams/:name/histogram', streamRead, (request) => histogram(context, streamParam(request), request));
}

/** `?time=T`: the first entry with time ≥ T, or the last entry when none is. */
async function seek(context: RouteContext, name: string, request: FastifyRequest): Promise<SeekReply> {
  const params = queryOf(request.url);
  const time = parseTimeParam(params, 'time');
  if (time === undefined) throw badParam('time', 'is required');
  const store = await readableStream(context.engine, name);
  const row = await seekTime(store, time);
  if (row === undefined) throw new LivelogError('LIVELOG_ERR_NO_ENTRY', `stream ${name} retains no entry`);
  const entry = (row.entry ?? JSON.parse(row.json)) as { time: number };
  return { id: formatId(store.streamId, row.seq), seq: row.seq, time: entry.time };
}

/** Buckets of `step` from `since` aligned down to a multiple of the step, covering `until`. */
export interface BucketPlan {
  start: number;
  bucketMs: number;
  count: number;
}

/** The smallest readable step that covers `since..until` in at most `buckets` buckets. */
export function planBuckets(since: number, until: number, buckets: number): BucketPlan {
  const end = Math.max(until, since + 1);
  const fits = (step: number): BucketPlan | undefined => {
    const start = Math.floor(since / step) * step;
    const count = Math.ceil((end - start) / step);
    return count <= buckets ? { start, bucketMs: step, count } : undefined;
  };
  for (const step of STEPS) {
    const plan = fits(step);
    if (plan !== undefined) return plan;
  }
  // Beyond weeks: whole weeks.
  let weeks = Math.ceil((end - since) / (7 * DAY) / buckets);
  for (;;) {
    const plan = fits(weeks * 7 * DAY);
    if (plan !== undefined) return plan;
    weeks++;
  }
}

async function histogram(context: RouteContext, name: string, request: FastifyRequest): Promise<HistogramReply> {
  const params = queryOf(request.url);
  const now = Date.now();
  const buckets = parseIntParam(params, 'buckets', 1, MAX_BUCKETS, DEFAULT_BUCKETS);
  const filter = parseFilter(params);
  const until = parseTimeParam(params, 'until', now) ?? now;
  const store = await readableStream(context.engine, name);
  let since = parseTimeParam(params, 'since', now);
  if (since === undefined) {
    const bounds = await store.bounds();
    const [first] = bounds.first <= bounds.last ? await store.readAfter(bounds.first - 1, 1) : [];
    since = first === undefined ? until - EMPTY_RANGE_MS : (JSON.parse(first.json) as { time: number }).time;
  }
  if (since >= until) throw sinceNotBeforeUntil();
  const plan = planBuckets(since, until, buckets);
  const query: HistogramQuery = {
    since: plan.start,
    until: plan.start + plan.count * plan.bucketMs,
    bucketMs: plan.bucketMs,
    filter,
    maxMs: HISTOGRAM_MAX_MS,
  };
  // The search seam: a filter with `q` is counted the way history filters it (see sqlite-filter.ts).
  const result = hasHistogram(store) ? await store.histogram(query) : await scanHistogram(store, query);
  const out: HistogramBucket[] = [];
  for (let i = 0; i < plan.count; i++) {
    const counts: Partial<Record<LevelName, number>> = {};
    for (const [level, n] of result.counts.get(i) ?? []) {
      const levelName = levelFromNumber(level);
      counts[levelName] = (counts[levelName] ?? 0) + n;
    }
    out.push({ start: plan.start + i * plan.bucketMs, counts });
  }
  const reply: HistogramReply = { since: query.since, until: query.until, bucketMs: plan.bucketMs, buckets: out };
  if (result.partial) reply.partial = true;
  return reply;
}
