import type { IngestReply } from '@livelog/protocol';
import { getJson, ndjson, postStreamLogs, requestJson, startServer, streamPath, type TestServer } from '@livelog/test-utils';
import { afterAll, beforeAll, expect, it } from 'vitest';

// Regression: history read with an id of a stream since deleted and written to again answered 409
// "the id belongs to stream X, but this server holds stream Y (data wiped, or another server)":
// neither was what happened, and it said nothing of what to do.
let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.close());

type ErrorReply = { error: { code: string; message: string; param?: string } };

it('says the stream was deleted and written to again, and how to read the new one', async () => {
  const old = (await postStreamLogs(server.url, 'job', ndjson(2, 'old'))).body as IngestReply;
  expect((await requestJson(server.url, 'DELETE', streamPath('job'))).status).toBe(204);
  const fresh = (await postStreamLogs(server.url, 'job', ndjson(2, 'new'))).body as IngestReply;
  const newStream = fresh.firstId.split(':')[0];
  for (const param of ['after', 'before', 'around']) {
    const reply = await getJson<ErrorReply>(server.url, `${streamPath('job', '/logs')}?${param}=${old.lastId}`);
    expect(reply.status, param).toBe(409);
    expect(reply.body.error, param).toEqual({
      code: 'LIVELOG_ERR_CURSOR_FOREIGN',
      param,
      message: `${param}: the id ${old.lastId} is from an earlier stream named "job", deleted and written to again since (or from another server); ids do not carry over to the new one (it is ${newStream}): read it from the start (from=start) or its newest page`,
    });
  }
});

it('on the default stream, says its data was wiped', async () => {
  const reply = await getJson<ErrorReply>(server.url, '/api/logs?after=otherstream:3');
  expect(reply.status).toBe(409);
  expect(reply.body.error.message).toMatch(
    /^after: the id otherstream:3 is from an earlier log than the one this server holds now \(its data was wiped\), or from another server; ids do not carry over .*from=start/,
  );
});
