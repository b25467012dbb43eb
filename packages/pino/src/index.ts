export { mapPinoRecord, type PinoRecordConfig } from './map-pino-record.js';
export { default, type LivelogPinoOptions } from './pino-transport.js';
