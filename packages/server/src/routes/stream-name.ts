import { LivelogError } from '@livelog/core';
import { isStreamName } from '@livelog/protocol';
import type { FastifyRequest } from 'fastify';

/**
 * The stream name of a `/api/streams/{name}/…` request, checked at the edge: anything that is not a
 * stream name is a 400 before any store is touched, so a bad name never becomes a key, a file
 * name or a log line.
 */
export function streamParam(request: FastifyRequest): string {
  const name = (request.params as { name?: unknown }).name;
  if (typeof name !== 'string' || !isStreamName(name)) {
    const shown = typeof name === 'string' ? JSON.stringify(name.length > 140 ? `${name.slice(0, 140)}…` : name) : 'missing';
    throw new LivelogError(
      'LIVELOG_ERR_STREAM_BAD_NAME',
      `the stream name ${shown} is not one: 1 to 128 characters of a-z 0-9 . _ -, starting with a letter or digit`,
    );
  }
  return name;
}
