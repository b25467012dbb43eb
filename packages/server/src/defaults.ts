/**
 * Defaults of `livelog serve`, in a module of their own so that command-line help and other light
 * callers can read them without loading the server (Fastify, SQLite) itself.
 */
export const DEFAULTS = {
  host: '127.0.0.1',
  port: 7600,
  data: './livelog-data',
  retainAge: '7d',
  retainBytes: '1GiB',
  bodyLimit: '16MiB',
  ingestBuffer: '32MiB',
  minFreeSpace: '64MiB',
  maxClockSkew: '1d',
  heartbeat: '15s',
  stallTimeout: '30s',
  retry: '2s',
  ringEntries: 10_000,
  ringBytes: '16MiB',
  maxReaders: 10_000,
} as const;

export { isUnlimited, parseDuration, parseSize } from './config-values.js';
