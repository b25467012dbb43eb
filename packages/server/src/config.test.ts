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
});
