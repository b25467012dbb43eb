import { LivelogError } from '../errors.js';

/** The error of a write or end after the end. */
export function streamEnded(name: string): LivelogError {
  return new LivelogError('LIVELOG_ERR_STREAM_ENDED', `the stream ${JSON.stringify(name)} was ended and takes no more entries`);
}

/** The error of any use of a deleted (or never created) stream. */
export function streamNotFound(name: string): LivelogError {
  return new LivelogError('LIVELOG_ERR_STREAM_NOT_FOUND', `no stream is named ${JSON.stringify(name)}`);
}

/** The error of a name that is not a stream name. */
export function badStreamName(name: string): LivelogError {
  return new LivelogError(
    'LIVELOG_ERR_STREAM_BAD_NAME',
    `${JSON.stringify(name.slice(0, 140))} is not a stream name: use 1 to 128 of a-z 0-9 . _ - starting with a letter or digit`,
  );
}
