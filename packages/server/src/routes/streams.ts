import { LivelogError, type LogStore, type StoredStreamInfo } from '@livelog/core';
import { DEFAULT_STREAM, type EndInfo, endProblem, formatId, type StreamInfo } from '@livelog/protocol';
import type { FastifyInstance } from 'fastify';
import { allows } from '../auth/tokens.js';
import { jsonObjectBody } from './json-body.js';
import type { RouteContext } from './route-context.js';
import { registerStreamList } from './stream-list.js';
import { streamParam } from './stream-name.js';
import { parseStreamSettings } from './stream-settings.js';
import { readableStream, streamEndedError, writableStream } from './stream-stores.js';

/** Control bodies (end, PUT) are small: a larger one is a mistake, answered before it is read. */
const CONTROL_BODY_LIMIT = 64 * 1024;

/** The answer of `POST /api/streams/{name}/end`. */
export interface EndReply {
  /** Id of the stream's last entry (`<identity>:0` when it never held one). */
  lastId: string;
  end: EndInfo;
}

/**
 * The streams themselves: `GET /api/streams` (the list), `GET`/`PUT`/`DELETE /api/streams/{name}`,
 * and `POST /api/streams/{name}/end`.
 */
export function registerStreams(app: FastifyInstance, context: RouteContext): void {
  registerStreamList(app, context);

  app.get('/api/streams/:name', { onRequest: context.requireStream('read') }, async (request): Promise<StreamInfo> => {
    const store = await readableStream(context.engine, streamParam(request));
    return withReaders(context, await store.info());
  });

  app.put(
    '/api/streams/:name',
    { onRequest: context.requireStream('ingest'), bodyLimit: CONTROL_BODY_LIMIT },
    async (request): Promise<StreamInfo> => {
      const name = streamParam(request);
      const settings = parseStreamSettings(jsonObjectBody(request.body, 'LIVELOG_ERR_BAD_REQUEST'));
      // Labels are the writer's to set; how long a stream's data is kept is the operator's.
      if (settings.retention !== undefined && !allows(context.grantOf(request, 'ingest').scopes, 'admin')) {
        throw new LivelogError('LIVELOG_ERR_AUTH_FORBIDDEN', "setting a stream's retention needs the admin scope");
      }
      return withReaders(context, await context.engine.database.setStream(name, settings));
    },
  );

  app.delete('/api/streams/:name', { onRequest: context.requireStream('admin') }, async (request, reply) => {
    const name = streamParam(request);
    if (!(await context.engine.database.delete(name))) {
      throw new LivelogError('LIVELOG_ERR_STREAM_NOT_FOUND', `no stream is named ${JSON.stringify(name)}`);
    }
    // `default` always exists (the unnamed routes read it): deleting it empties it, under a new identity,
    // and it stays in the list as the engine made it at start.
    if (name === DEFAULT_STREAM) await context.engine.database.setStream(DEFAULT_STREAM, {});
    return reply.code(204).send();
  });

  app.post(
    '/api/streams/:name/end',
    { onRequest: context.requireStream('ingest'), bodyLimit: CONTROL_BODY_LIMIT },
    async (request): Promise<EndReply> => {
      if (context.closing()) throw new LivelogError('LIVELOG_ERR_SHUTTING_DOWN', 'the server is shutting down; retry shortly');
      const name = streamParam(request);
      const body = jsonObjectBody(request.body, 'LIVELOG_ERR_STREAM_BAD_END');
      const problem = endProblem(body);
      if (problem !== undefined) throw new LivelogError('LIVELOG_ERR_STREAM_BAD_END', problem);
      const store = await writableStream(context.engine, name);
      if (store.ended() !== undefined) throw streamEndedError(name);
      const end = await endDurably(context, store, body as { exitCode?: number; reason?: string });
      const { last } = await store.bounds();
      return { lastId: formatId(store.streamId, last), end };
    },
  );
}

/** Ends `store`, telling `/readyz` how the disk took it, as an append would. */
async function endDurably(context: RouteContext, store: LogStore, request: { exitCode?: number; reason?: string }): Promise<EndInfo> {
  try {
    const end = await store.end(request);
    context.disk.committed();
    return end;
  } catch (error) {
    context.disk.failed(error);
    throw error;
  }
}

/** A stream as the API shows it: what the store knows, and the readers connected now. */
export function withReaders(context: RouteContext, info: StoredStreamInfo): StreamInfo {
  return { ...info, readers: context.engine.readers(info.name) };
}
