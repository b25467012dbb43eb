import { isStreamName } from '@livelog/protocol';

/** What `--stream` accepts, in words, for usage errors. */
export const STREAM_NAME_RULE = 'lowercase letters, digits, ".", "_" and "-", starting with a letter or digit, at most 128 characters';

/** Undefined when `name` is a stream name; otherwise the usage message for `--stream`. */
export function streamNameProblem(name: string): string | undefined {
  return isStreamName(name) ? undefined : `--stream: ${JSON.stringify(name)} is not a stream name (${STREAM_NAME_RULE})`;
}
