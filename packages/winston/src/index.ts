export { mapWinstonInfo, type WinstonInfoConfig } from './map-winston-info.js';
export { LivelogTransport, type LivelogTransportOptions } from './winston-transport.js';
