import { describe, expect, it } from 'vitest';
import { resolveServerConfig } from './config.js';

describe('resolveServerConfig', () => {
  it.each(['/..', '/logs/..', '/../etc', '/./logs', '/logs/./x', '..', '.'])('refuses the base path %j (dot segments)', (basePath) => {
    expect(() => resolveServerConfig({ basePath })).toThrow(
      expect.objectContaining({ code: 'LIVELOG_ERR_CONFIG_INVALID', message: expect.stringContaining('--base-path') }),
    );
  });

  it.each([
    ['/logs', '/logs'],
    ['logs/', '/logs'],
    ['/team/logs.v2', '/team/logs.v2'],
    ['/a..b', '/a..b'],
    ['', ''],
  ])('accepts the base path %j as %j', (basePath, expected) => {
    expect(resolveServerConfig({ basePath }).basePath).toBe(expected);
  });

  it('reads --max-clock-skew as the ingest skew, 1 day by default', () => {
    expect(resolveServerConfig().ingest.maxFutureSkewMs).toBe(86_400_000);
    expect(resolveServerConfig({ maxClockSkew: '10m' }).ingest.maxFutureSkewMs).toBe(600_000);
    expect(resolveServerConfig({ maxClockSkew: '0' }).ingest.maxFutureSkewMs).toBe(0);
    expect(() => resolveServerConfig({ maxClockSkew: 'soon' })).toThrow(/--max-clock-skew \(LIVELOG_MAX_CLOCK_SKEW\)/);
  });
});
