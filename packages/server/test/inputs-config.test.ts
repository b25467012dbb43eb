import type { LogEntry } from '@livelog/protocol';
import { resolveServerConfig } from '@livelog/server';
import { getJson, spawnServer, tempDir } from '@livelog/test-utils';
import { describe, expect, it } from 'vitest';

const nowNs = (): string => `${Date.now()}000000`;

describe('the input settings', () => {
  it('default to service.name and the usual Loki labels', () => {
    const { inputs } = resolveServerConfig({});
    expect(inputs.otlpSourceAttribute).toBe('service.name');
    expect(inputs.lokiSourceLabels).toEqual([
      'service_name',
      'service',
      'app',
      'application',
      'app_kubernetes_io_name',
      'container',
      'container_name',
      'component',
      'job',
    ]);
  });

  it('name the flag and the variable of every bad value', () => {
    expect(() => resolveServerConfig({ otlpSourceAttribute: ' ', lokiSourceLabels: 'job,bad-label' })).toThrow(
      /--otlp-source-attribute \(LIVELOG_OTLP_SOURCE_ATTRIBUTE\)[\s\S]*--loki-source-labels \(LIVELOG_LOKI_SOURCE_LABELS\): .*"bad-label" is not one/,
    );
  });

  it('reach the inputs of `livelog serve`, from a flag and from a variable', async () => {
    const dir = await tempDir('livelog-inputs-config-');
    const server = await spawnServer({
      dataDir: dir.path,
      args: ['--otlp-source-attribute', 'team'],
      env: { LIVELOG_LOKI_SOURCE_LABELS: 'job, app' },
    });
    try {
      const otlp = await fetch(`${server.url}/v1/logs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          resourceLogs: [
            {
              resource: {
                attributes: [
                  { key: 'team', value: { stringValue: 'payments' } },
                  { key: 'service.name', value: { stringValue: 'api' } },
                ],
              },
              scopeLogs: [{ logRecords: [{ timeUnixNano: nowNs(), body: { stringValue: 'from otlp' } }] }],
            },
          ],
        }),
      });
      expect(otlp.status).toBe(200);
      const loki = await fetch(`${server.url}/loki/api/v1/push`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ streams: [{ stream: { app: 'web', job: 'nightly' }, values: [[nowNs(), 'from loki']] }] }),
      });
      expect(loki.status).toBe(204);
      const { body } = await getJson<{ entries: LogEntry[] }>(server.url, '/api/logs?from=start');
      expect(body.entries.map(({ source, msg, fields }) => ({ source, msg, fields }))).toEqual([
        { source: 'payments', msg: 'from otlp', fields: { resource: { 'service.name': 'api' } } },
        { source: 'nightly', msg: 'from loki', fields: { app: 'web' } },
      ]);
    } finally {
      await server.kill('SIGTERM');
      await dir.remove();
    }
  });
});
