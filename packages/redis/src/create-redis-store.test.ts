import { describe, expect, it } from 'vitest';
import { dropStream, REDIS_URL, uniqueKey } from '../test/support/redis-server.js';
import { createRedisStore, parseRedisStoreUrl } from './create-redis-store.js';

describe('parseRedisStoreUrl', () => {
  it('takes host, port, database and key', () => {
    expect(parseRedisStoreUrl('redis://10.0.0.5:6380/3?key=app-logs')).toEqual({ url: 'redis://10.0.0.5:6380/3', key: 'app-logs' });
    expect(parseRedisStoreUrl('redis://localhost')).toEqual({ url: 'redis://localhost', key: 'livelog' });
    expect(parseRedisStoreUrl('rediss://user:secret@cache.example:6390/0')).toEqual({
      url: 'rediss://user:secret@cache.example:6390/0',
      key: 'livelog',
    });
  });

  it.each([
    ['not a url', 'not a URL'],
    ['http://localhost:6379', 'scheme'],
    ['redis://localhost/logs', 'database number'],
    ['redis://localhost/0?keys=x', 'unknown parameter'],
  ])('refuses %s with a reason', (value, reason) => {
    expect(() => parseRedisStoreUrl(value)).toThrow(
      expect.objectContaining({ code: 'LIVELOG_ERR_CONFIG_INVALID', message: expect.stringContaining(reason) }),
    );
  });

  it('never echoes a password in its error', () => {
    expect(() => parseRedisStoreUrl('redis://user:hunter2@localhost/x')).toThrow(
      expect.not.objectContaining({ message: expect.stringContaining('hunter2') }),
    );
  });

  it('refuses a key name that would break the hash tag', () => {
    expect(() => createRedisStore('redis://localhost/0?key=a}b')).toThrow(expect.objectContaining({ code: 'LIVELOG_ERR_CONFIG_INVALID' }));
  });
});

describe('createRedisStore', () => {
  it('opens a store on the URL and key given', async () => {
    const key = uniqueKey('url');
    const store = createRedisStore(`${REDIS_URL}/0?key=${key}`);
    await store.open();
    try {
      await store.append([{ time: 1, level: 'info', source: 's', msg: 'm' }]);
      expect(store.keys.log).toBe(`{${key}}:log`);
      expect(await store.bounds()).toEqual({ first: 1, last: 1 });
    } finally {
      await store.close();
      await dropStream(key);
    }
  });
});
