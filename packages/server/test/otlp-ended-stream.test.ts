import { startServer, type TestServer } from '@livelog/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// An OTLP export to an ended stream is refused with 409; the google.rpc.Status in the answer said
// INTERNAL (13), which an exporter's log shows as a server fault. It is FAILED_PRECONDITION (9).
let server: TestServer;
beforeAll(async () => {
  server = await startServer({});
});
afterAll(async () => {
  await server.close();
});

describe('OTLP/HTTP into an ended stream', () => {
  it('is 409 with google.rpc.Status code 9 (FAILED_PRECONDITION) and livelog code LIVELOG_ERR_STREAM_ENDED', async () => {
    expect((await fetch(`${server.url}/api/streams/job-1/end`, { method: 'POST' })).status).toBe(200);
    const reply = await fetch(`${server.url}/api/streams/job-1/v1/logs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: 'late' } }] }] }] }),
    });
    expect(reply.status).toBe(409);
    const body = (await reply.json()) as { code: number; details: { reason: string }[] };
    expect(body.code).toBe(9);
    expect(body.details[0]?.reason).toBe('LIVELOG_ERR_STREAM_ENDED');
  });
});
