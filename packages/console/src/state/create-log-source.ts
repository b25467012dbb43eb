import { createClientLogSource } from './client-log-source.js';
import type { LogSource, SourceOptions } from './log-source.js';

/** The LogSource the console uses: @livelog/client. */
export function createLogSource(options: SourceOptions): LogSource {
  return createClientLogSource(options);
}
