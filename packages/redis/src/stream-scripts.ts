import { LuaScript } from './lua-script.js';
import { APPEND_SCRIPT, END_SCRIPT, PRUNE_SCRIPT, SEEK_TIME_SCRIPT, STATE_SCRIPT } from './lua-scripts.js';

/** What the state script answers: identity ('' for none), last seq, first entry id ('' for none), end JSON ('' while open). */
export type StateReply = [stream: string, last: string, firstId: string, end: string];
/** What the append script answers (see APPEND_SCRIPT). */
export type AppendReply = [
  status: 'appended' | 'replayed',
  stream: string,
  first: string,
  last: string,
  digest: string,
  created: string,
  listed: string,
];
/** What the end script answers (see END_SCRIPT). */
export type EndReply = [stream: string, last: string, created: string, listed: string];

/** The scripts of one stream's changes and reads, loaded once per connection (see loadScripts). */
export const streamScripts = {
  state: new LuaScript(STATE_SCRIPT),
  append: new LuaScript(APPEND_SCRIPT),
  end: new LuaScript(END_SCRIPT),
  seekTime: new LuaScript(SEEK_TIME_SCRIPT),
  prune: new LuaScript(PRUNE_SCRIPT),
};
