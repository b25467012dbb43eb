import type { StoredStreamInfo } from '@livelog/core';
import type { StreamRetention } from '@livelog/protocol';
import { LuaScript } from './lua-script.js';
import { INFO_SCRIPT } from './lua-scripts.js';
import { parseEnd } from './redis-calls.js';
import type { RedisKeys } from './redis-keys.js';
import type { RedisLink } from './redis-link.js';
import { seqOfId } from './stream-rows.js';

const info = new LuaScript(INFO_SCRIPT);

type InfoReply = [
  stream: string,
  last?: string,
  firstId?: string,
  firstTime?: string,
  lastTime?: string,
  entries?: string,
  bytes?: string,
  created?: string,
  labels?: string,
  retention?: string,
  end?: string,
];

/** What `GET /api/streams/{name}` shows of a stream (without readers), in one script; undefined when it does not exist. */
export async function streamInfo(link: RedisLink, name: string, keys: RedisKeys): Promise<StoredStreamInfo | undefined> {
  const reply = await info.run<InfoReply>(link, [keys.meta, keys.log], []);
  const [identity, last = '0', firstId = '', firstTime = '', lastTime = '', entries = '0', bytes = '0', created = '0'] = reply;
  if (identity === '') return undefined;
  const lastSeq = Number(last);
  const result: StoredStreamInfo = {
    name,
    identity,
    labels: parseObject<Record<string, string>>(reply[8]) ?? {},
    state: reply[10] ? 'ended' : 'open',
    first: firstId === '' ? lastSeq + 1 : seqOfId(firstId),
    last: lastSeq,
    entries: Number(entries),
    bytes: Number(bytes),
    created: Number(created),
  };
  if (firstTime !== '') result.firstTime = Number(firstTime);
  if (lastTime !== '') result.lastTime = Number(lastTime);
  const end = parseEnd(reply[10]);
  if (end !== undefined) result.end = end;
  const retention = parseObject<StreamRetention>(reply[9]);
  if (retention !== undefined) result.retention = retention;
  return result;
}

function parseObject<T>(json: string | undefined): T | undefined {
  if (json === undefined || json === '') return undefined;
  try {
    return JSON.parse(json) as T;
  } catch {
    return undefined;
  }
}
