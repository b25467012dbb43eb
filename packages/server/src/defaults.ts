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
  catchupCache: '32MiB',
  maxReaders: 10_000,
  otlpSourceAttribute: 'service.name',
  lokiSourceLabels: 'service_name,service,app,application,app_kubernetes_io_name,container,container_name,component,job',
} as const;
