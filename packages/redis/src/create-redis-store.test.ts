import { describe, expect, it } from 'vitest';
import { dropStream, REDIS_URL, uniqueKey } from '../test/support/redis-server.js';
import { createRedisStore, parseRedisStoreUrl } from './create-redis-store.js';

describe('parseRedisStoreUrl', () => {
  it('takes host, port, database and key', () => {
    const single = (url: string, key: string) => ({ url, urls: [url], cluster: false, key });
    expect(parseRedisStoreUrl('redis://10.0.0.5:6380/3?key=app-logs')).toEqual(single('redis://10.0.0.5:6380/3', 'app-logs'));
    expect(parseRedisStoreUrl('redis://localhost')).toEqual(single('redis://localhost', 'livelog'));
    expect(parseRedisStoreUrl('rediss://user:secret@cache.example:6390/0')).toEqual(
      single('rediss://user:secret@cache.example:6390/0', 'livelog'),
    );
  });

  it('takes a cluster: the seed node, more seeds as node=, credentials for every node', () => {
    expect(parseRedisStoreUrl('redis+cluster://10.0.0.1:7000?key=logs&node=10.0.0.2:7000&node=10.0.0.3:7001')).toEqual({
      url: 'redis://10.0.0.1:7000',
      urls: ['redis://10.0.0.1:7000', 'redis://10.0.0.2:7000', 'redis://10.0.0.3:7001'],
      cluster: true,
      key: 'logs',
    });
    expect(parseRedisStoreUrl('rediss+cluster://u:pw@cache:6380/')).toEqual({
      url: 'rediss://u:pw@cache:6380',
      urls: ['rediss://u:pw@cache:6380'],
      cluster: true,
      key: 'livelog',
    });
  });

  it.each([
    ['not a url', 'not a URL'],
    ['http://localhost:6379', 'scheme'],
    ['redis://localhost/logs', 'database number'],
    ['redis://localhost/0?keys=x', 'unknown parameter'],
    ['redis://localhost/0?node=a:1', 'unknown parameter'],
    ['redis+cluster://localhost:7000/2', 'no path'],
    ['redis+cluster://localhost:7000?node=nohost', 'host:port'],
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
