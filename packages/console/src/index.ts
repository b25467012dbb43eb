// Importing this module defines <livelog-console>.

export type { SourceSummary } from '@livelog/client';
export type { ConsoleStats, LivelogConsoleEventMap, LivelogStatusDetail } from './console-events.js';
export { LivelogConsole } from './livelog-console.js';
export type { FilterState } from './state/line-filter.js';
export type { ConnectionStatus } from './state/status-line.js';
