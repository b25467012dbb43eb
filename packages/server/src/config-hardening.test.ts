import { describe, expect, it } from 'vitest';
import { resolveServerConfig } from './config.js';

describe('resolveServerConfig: base path, hosts and ingest limits', () => {
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

  it('reads --ingest-buffer, 32 MiB by default, and refuses one smaller than the body limit', () => {
    expect(resolveServerConfig().ingestBuffer).toBe(32 * 1024 * 1024);
    expect(resolveServerConfig({ ingestBuffer: '256MiB' }).ingestBuffer).toBe(256 * 1024 * 1024);
    expect(() => resolveServerConfig({ ingestBuffer: '8MiB' })).toThrow(
      /--ingest-buffer \(LIVELOG_INGEST_BUFFER\): must be at least the body limit/,
    );
    expect(resolveServerConfig({ ingestBuffer: '8MiB', bodyLimit: '8MiB' }).ingestBuffer).toBe(8 * 1024 * 1024);
  });

  it('reads --allowed-host names and refuses URLs, ports and paths', () => {
    expect(resolveServerConfig({ allowedHost: 'Logs.Internal, .example.com,[::2]' }).allowedHosts).toEqual([
      'logs.internal',
      '.example.com',
      '[::2]',
    ]);
    expect(resolveServerConfig({ allowedHost: ['a.b', '*'] }).allowedHosts).toEqual(['a.b', '*']);
    for (const bad of ['http://logs.internal', 'logs.internal:7600', 'logs/x', 'a..b', '-a.b']) {
      expect(() => resolveServerConfig({ allowedHost: bad }), bad).toThrow(/--allowed-host \(LIVELOG_ALLOWED_HOST\)/);
    }
  });
});
