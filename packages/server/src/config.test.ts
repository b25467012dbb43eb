import { MemoryDatabase } from '@livelog/core';
import { describe, expect, it } from 'vitest';
import { resolveServerConfig, type ServerConfigInput } from './config.js';
import { createServer } from './create-server.js';
import { createStore } from './create-store.js';

/** The message of the LIVELOG_ERR_CONFIG_INVALID that `input` is refused with. */
function problems(input: ServerConfigInput): string {
  try {
    resolveServerConfig(input);
  } catch (error) {
    expect(error).toMatchObject({ code: 'LIVELOG_ERR_CONFIG_INVALID' });
    return (error as Error).message;
  }
  throw new Error(`accepted ${JSON.stringify(input)}`);
}

describe('resolveServerConfig', () => {
  it('gives the documented defaults', () => {
    const config = resolveServerConfig();
    expect(config).toMatchObject({
      host: '127.0.0.1',
      port: 7600,
      basePath: '',
      store: { kind: 'sqlite', dir: './livelog-data', durability: 'full' },
      tokens: [],
      retention: { maxBytes: 1024 ** 3, maxAgeMs: 7 * 86_400_000 },
      bodyLimit: 16 * 1024 ** 2,
      ingest: { maxLineBytes: 1024 ** 2, maxMessageBytes: 64 * 1024, maxEntries: expect.any(Number), maxDepth: expect.any(Number) },
      stream: {
        heartbeatMs: 15_000,
        stallTimeoutMs: 30_000,
        retryMs: 2000,
        ringEntries: 10_000,
        ringBytes: 16 * 1024 ** 2,
        catchupCacheBytes: 32 * 1024 ** 2,
        maxReaders: 10_000,
      },
      logLevel: 'info',
      corsOrigins: [],
    });
    expect(config.retention.maxEntries).toBeUndefined();
  });

  it('reads durations and sizes in the one grammar, strings or numbers', () => {
    const config = resolveServerConfig({
      heartbeat: '1m30s',
      stallTimeout: 2500,
      retry: '250ms',
      retainAge: '2d12h',
      retainBytes: '1.5GiB',
      bodyLimit: '64 KB',
      lineLimit: 4096,
      messageLimit: '1k',
      ringBytes: '2MB',
    });
    expect(config.stream).toMatchObject({ heartbeatMs: 90_000, stallTimeoutMs: 2500, retryMs: 250, ringBytes: 2 * 1024 ** 2 });
    expect(resolveServerConfig({ catchupCache: '0' }).stream.catchupCacheBytes).toBe(0);
    expect(resolveServerConfig({ catchupCache: '8MiB' }).stream.catchupCacheBytes).toBe(8 * 1024 ** 2);
    expect(config.retention).toEqual({ maxAgeMs: 216_000_000, maxBytes: 1.5 * 1024 ** 3 });
    expect(config.bodyLimit).toBe(65_536);
    expect(config.ingest).toMatchObject({ maxLineBytes: 4096, maxMessageBytes: 1024 });
  });

  it('turns retention limits off with "unlimited" and its synonyms', () => {
    expect(resolveServerConfig({ retainAge: 'unlimited', retainBytes: 'off', retainEntries: 'none' }).retention).toEqual({});
    expect(resolveServerConfig({ retainEntries: '1_000' }).retention.maxEntries).toBe(1000);
  });

  it('reads the store: sqlite with its directory and durability, memory, or a store URL', () => {
    expect(resolveServerConfig({ data: '/var/lib/livelog', durability: 'FULL' }).store).toEqual({
      kind: 'sqlite',
      dir: '/var/lib/livelog',
      durability: 'full',
      searchIndex: true,
    });
    expect(resolveServerConfig({ searchIndex: ' OFF ' }).store).toMatchObject({ kind: 'sqlite', searchIndex: false });
    expect(resolveServerConfig({ searchIndex: 'on' }).store).toMatchObject({ searchIndex: true });
    expect(problems({ searchIndex: 'yes' })).toContain('--search-index (LIVELOG_SEARCH_INDEX): must be on or off');
    expect(resolveServerConfig({ store: 'memory' }).store).toEqual({ kind: 'memory' });
    expect(resolveServerConfig({ store: ' redis://h:6379/0?key=k ' }).store).toEqual({ kind: 'url', url: 'redis://h:6379/0?key=k' });
  });

  it('reads tokens (repeated or comma-separated), origins and the base path', () => {
    const config = resolveServerConfig({
      tokens: ['reader-secret-1:read, writer-secret-1:ingest', 'admin-secret-1'],
      corsOrigin: 'https://a.example.com, https://b.example.com/',
      basePath: 'logs/',
    });
    expect(config.tokens).toEqual([
      { secret: 'reader-secret-1', scopes: ['read'] },
      { secret: 'writer-secret-1', scopes: ['ingest'] },
      { secret: 'admin-secret-1', scopes: ['admin'] },
    ]);
    expect(config.corsOrigins).toEqual(['https://a.example.com', 'https://b.example.com/']);
    expect(config.basePath).toBe('/logs');
  });

  it('reads tokens limited to streams, and the Loki stream label', () => {
    const config = resolveServerConfig({ tokens: ['ci-secret-01:read+ingest@ci-*|build-*'], lokiStreamLabel: ' job ' });
    expect(config.tokens).toEqual([{ secret: 'ci-secret-01', scopes: ['read', 'ingest'], streams: ['ci-*', 'build-*'] }]);
    expect(config.inputs.lokiStreamLabel).toBe('job');
    expect(resolveServerConfig({}).inputs.lokiStreamLabel).toBeUndefined();
    const message = problems({ tokens: ['ci-secret-01:read@CI-*'], lokiStreamLabel: 'job name' });
    expect(message).toContain('--token (LIVELOG_TOKENS): "CI-*" is not a stream pattern');
    expect(message).toContain('--loki-stream-label (LIVELOG_LOKI_STREAM_LABEL)');
  });

  it('names every bad value at once, each with its flag and variable', () => {
    const message = problems({
      port: '70000',
      store: 'postgres',
      durability: 'sometimes',
      retainAge: '1h30',
      retainBytes: 'lots',
      retainEntries: '-1',
      heartbeat: '5ms',
      bodyLimit: '10',
      logLevel: 'loud',
      corsOrigin: 'example.com',
      basePath: '/a b',
      tokens: ['short'],
    });
    for (const flag of [
      '--port (LIVELOG_PORT)',
      '--store (LIVELOG_STORE)',
      '--durability (LIVELOG_DURABILITY)',
      '--retain-age (LIVELOG_RETAIN_AGE): must be a duration',
      '--retain-bytes (LIVELOG_RETAIN_BYTES): must be a size',
      '--retain-entries (LIVELOG_RETAIN_ENTRIES)',
      '--heartbeat (LIVELOG_HEARTBEAT): must be a duration of at least 10ms',
      '--body-limit (LIVELOG_BODY_LIMIT)',
      '--log-level (LIVELOG_LOG_LEVEL)',
      '--cors-origin (LIVELOG_CORS_ORIGIN): "example.com"',
      '--base-path (LIVELOG_BASE_PATH)',
      '--token (LIVELOG_TOKENS)',
    ]) {
      expect(message).toContain(flag);
    }
  });

  it('refuses to listen beyond loopback without a token', () => {
    expect(() => resolveServerConfig({ host: '0.0.0.0' })).toThrow(expect.objectContaining({ code: 'LIVELOG_ERR_CONFIG_INSECURE_BIND' }));
    expect(resolveServerConfig({ host: '0.0.0.0', tokens: ['a-long-secret'] }).host).toBe('0.0.0.0');
    expect(resolveServerConfig({ host: '::1' }).host).toBe('::1');
  });
});

describe('createStore', () => {
  it('builds a store URL only through a provider of its scheme', async () => {
    await expect(createStore({ kind: 'url', url: 'redis://127.0.0.1:6379' })).rejects.toMatchObject({
      code: 'LIVELOG_ERR_CONFIG_INVALID',
      message: expect.stringContaining('no store is available for redis:// URLs (store URLs known here: none)'),
    });
    const store = new MemoryDatabase();
    const provider = { schemes: ['mem:'], create: (url: string) => (url === 'mem://x' ? store : new MemoryDatabase()) };
    expect(await createStore({ kind: 'url', url: 'mem://x' }, [provider])).toBe(store);
    await expect(createStore({ kind: 'url', url: 'redis://h' }, [provider])).rejects.toThrow('store URLs known here: mem://');
    expect(await createStore({ kind: 'memory' })).toBeInstanceOf(MemoryDatabase);
  });
});

describe('a server built from a config (Fastify inject)', () => {
  it('applies the base path, the body limit and the CORS origins it was given', async () => {
    const config = resolveServerConfig({
      port: 0,
      logLevel: 'silent',
      store: 'memory',
      basePath: '/logs',
      bodyLimit: '1KiB',
      corsOrigin: 'https://dash.example.com',
    });
    const server = await createServer(config);
    try {
      const { app } = server;
      expect((await app.inject({ url: '/' })).headers.location).toBe('/logs/');
      expect((await app.inject({ url: '/api/logs' })).statusCode).toBe(404);
      const small = await app.inject({
        method: 'POST',
        url: '/logs/api/logs',
        headers: { 'content-type': 'text/plain' },
        payload: 'hello\n',
      });
      expect(small.json()).toEqual({
        accepted: 1,
        firstId: `${server.engine.store.streamId}:1`,
        lastId: `${server.engine.store.streamId}:1`,
      });
      const large = await app.inject({
        method: 'POST',
        url: '/logs/api/logs',
        headers: { 'content-type': 'text/plain' },
        payload: 'x'.repeat(2048),
      });
      expect(large.statusCode).toBe(413);
      expect(large.json()).toMatchObject({ error: { code: 'LIVELOG_ERR_INGEST_BODY_TOO_LARGE' } });
      const allowed = await app.inject({ url: '/logs/api/sources', headers: { origin: 'https://dash.example.com' } });
      expect(allowed.headers['access-control-allow-origin']).toBe('https://dash.example.com');
      const other = await app.inject({ url: '/logs/api/sources', headers: { origin: 'https://evil.example.com' } });
      expect(other.headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      await server.close();
    }
  });
});
