import { ListenerSet } from './listener-set.js';
import type { StreamChange } from './log-database.js';

/** The stream-change listeners of a database; a throwing listener cannot stop the others. */
export class StreamChanges extends ListenerSet<StreamChange> {}
