import type { EntryPart, LevelName } from '@livelog/protocol';

/** An entry as ingest produces it, before the store gives it a position. */
export interface NewEntry {
  time: number;
  level: LevelName;
  source: string;
  msg: string;
  fields?: Record<string, unknown>;
  invalidUtf8?: true;
  part?: EntryPart;
}
