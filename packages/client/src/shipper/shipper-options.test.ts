import { describe, expect, it } from 'vitest';
import { resolveShipperOptions } from './shipper-options.js';

describe('shipper options: stream', () => {
  it('posts to /api/streams/{name}/logs with a stream, to /api/logs without', () => {
    expect(resolveShipperOptions({ url: 'http://127.0.0.1:7600/' }).endpoint).toBe('http://127.0.0.1:7600/api/logs');
    expect(resolveShipperOptions({ url: 'http://127.0.0.1:7600', stream: 'build-42' }).endpoint).toBe(
      'http://127.0.0.1:7600/api/streams/build-42/logs',
    );
    expect(resolveShipperOptions({ url: 'https://example.com/team/logs/', stream: 'ci.main_1' }).endpoint).toBe(
      'https://example.com/team/logs/api/streams/ci.main_1/logs',
    );
  });

  it('refuses a bad stream name, and a stream with a URL that already names /api/logs', () => {
    for (const stream of ['', 'Build', '_x', 'a b', 'a/b', 'x'.repeat(129)]) {
      expect(() => resolveShipperOptions({ url: 'http://127.0.0.1:7600', stream }), stream).toThrow(/stream must be a stream name/);
    }
    expect(() => resolveShipperOptions({ url: 'http://127.0.0.1:7600/api/logs', stream: 'job' })).toThrow(/base URL/);
  });
});
