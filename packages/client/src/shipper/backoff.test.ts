import { expect, test } from 'vitest';
import { backoffDelay, MAX_RETRY_AFTER_MS, parseRetryAfter } from './backoff.js';

const retry = { initialDelayMs: 100, maxDelayMs: 5000, multiplier: 2, jitter: 0.5 };

test('delays double from the first one up to the cap, jitter taking off at most half', () => {
  expect([1, 2, 3, 4].map((attempt) => backoffDelay(attempt, retry, () => 0))).toEqual([100, 200, 400, 800]);
  expect(backoffDelay(30, retry, () => 0)).toBe(5000);
  expect(backoffDelay(3, retry, () => 0.999_999)).toBe(200);
  expect(backoffDelay(3, { ...retry, jitter: 0 }, () => 0.7)).toBe(400);
});

test('Retry-After: seconds or an HTTP date, never negative, bounded', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  expect(parseRetryAfter('3', now)).toBe(3000);
  expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:10 GMT', now)).toBe(10_000);
  expect(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now)).toBe(0);
  expect(parseRetryAfter('999999', now)).toBe(MAX_RETRY_AFTER_MS);
  expect(parseRetryAfter('soon', now)).toBeUndefined();
  expect(parseRetryAfter(null, now)).toBeUndefined();
});
