/**
 * The Lua scripts of the Redis store. Each runs atomically in Redis, which is what lets several
 * livelog processes share one stream: the seq counter, the entries and the indexes only ever change
 * together, inside one script.
 *
 * Every script takes the same first keys: KEYS[1] meta hash, KEYS[2] entry stream, KEYS[3] source
 * counts, KEYS[4] source last seen. Numbers cross the Lua boundary as strings formatted with `%d`:
 * Lua's `tostring` prints 14 significant digits and would corrupt large seqs and times.
 */

/** Shared helpers, prepended to every script. */
const PRELUDE = `
local function fmt(n) return string.format('%d', n) end
local function seq_of(id) return tonumber(string.match(id, '^(%d+)-')) end
local function field(entry, name)
  local f = entry[2]
  for i = 1, #f, 2 do
    if f[i] == name then return f[i + 1] end
  end
  return nil
end
-- x holds '<time> <running max time> <level> <source>': one field instead of four halves what a
-- reader decodes per entry.
local function time_of(entry) return tonumber(string.match(field(entry, 'x'), '^(%S+) ')) end
local function maxtime_of(entry) return tonumber(string.match(field(entry, 'x'), '^%S+ (%S+) ')) end
-- The stream identity, created when missing. Data without its meta has lost its identity (wiped,
-- evicted, deleted by hand): it is dropped and a new stream starts, so every old id is foreign.
local function identity(candidate, now)
  local stream = redis.call('HGET', KEYS[1], 'stream')
  if stream then return stream, '0' end
  redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4])
  redis.call('HSET', KEYS[1], 'stream', candidate, 'seq', '0', 'bytes', '0', 'created', now)
  return candidate, '1'
end
`;

/**
 * Reads the state, creating the identity when missing.
 * ARGV: candidate stream id, now. Returns {stream, lastSeq, firstId or '', created '0'|'1'}.
 */
export const STATE_SCRIPT = `${PRELUDE}
local stream, created = identity(ARGV[1], ARGV[2])
local last = redis.call('HGET', KEYS[1], 'seq')
local head = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', 1)
local first = ''
if #head > 0 then first = head[1][1] end
return {stream, last, first, created}
`;

/**
 * Appends one batch: checks the idempotency key, assigns seqs, writes every entry with the explicit
 * id `<seq>-0` and its JSON (the id and seq are known only here, so the script writes the head that
 * core's `encodeEntryHead` writes, in front of the body the caller encoded with `encodeEntryBody`),
 * updates the counters and source indexes, and remembers the key. KEYS[5], when given, is the
 * idempotency key. A test compares the stored JSON with `encodeEntry`'s, byte for byte.
 *
 * ARGV: candidate stream id, now, body digest, key TTL in ms, then per entry: time, level number,
 * source, `encodeEntryBody(entry)` (the JSON after the `seq` member, starting with `"time":`).
 * Returns {'appended'|'replayed', stream, firstSeq, lastSeq, digest of the first batch, created}.
 */
export const APPEND_SCRIPT = `${PRELUDE}
local stream, created = identity(ARGV[1], ARGV[2])
if #KEYS == 5 then
  local seen = redis.call('GET', KEYS[5])
  if seen then
    local s, d, f, l = string.match(seen, '^([^\\n]*)\\n([^\\n]*)\\n(%d+)\\n(%d+)$')
    if s == stream then return {'replayed', stream, f, l, d, created} end
    -- A key remembered from a stream that no longer exists names nothing any more.
    redis.call('DEL', KEYS[5])
  end
end
local seq = tonumber(redis.call('HGET', KEYS[1], 'seq') or '0')
local top = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)
if #top > 0 and seq_of(top[1][1]) > seq then
  -- Checked before any write: a script that fails halfway keeps its writes, so nothing may fail below.
  return redis.error_reply('LIVELOG_CORRUPT entry ' .. top[1][1] .. ' is past the seq counter ' .. fmt(seq))
end
local first = seq + 1
local maxtime = redis.call('HGET', KEYS[1], 'maxtime')
local maxnum = maxtime and tonumber(maxtime) or nil
local bytes = 0
local sources = {}
local order = {}
for i = 5, #ARGV, 4 do
  seq = seq + 1
  local s = fmt(seq)
  local time = ARGV[i]
  local t = tonumber(time)
  -- The running maximum of time up to this entry: never decreasing in seq, so seqBeforeTime
  -- can binary-search it even when producers' clocks disagree.
  if maxnum == nil or t > maxnum then
    maxnum = t
    maxtime = time
  end
  local json = '{"id":"' .. stream .. ':' .. s .. '","seq":' .. s .. ',' .. ARGV[i + 3]
  redis.call('XADD', KEYS[2], s .. '-0', 'j', json, 'x', time .. ' ' .. maxtime .. ' ' .. ARGV[i + 1] .. ' ' .. ARGV[i + 2])
  bytes = bytes + #json
  local source = ARGV[i + 2]
  local agg = sources[source]
  if agg == nil then
    agg = {0, s, time}
    sources[source] = agg
    order[#order + 1] = source
  end
  agg[1] = agg[1] + 1
  agg[2] = s
  agg[3] = time
end
if seq >= first then
  for _, source in ipairs(order) do
    local agg = sources[source]
    redis.call('HINCRBY', KEYS[3], source, agg[1])
    redis.call('HSET', KEYS[4], source, agg[2] .. ':' .. agg[3])
  end
  redis.call('HSET', KEYS[1], 'seq', fmt(seq), 'maxtime', maxtime)
  redis.call('HINCRBY', KEYS[1], 'bytes', bytes)
end
if #KEYS == 5 then
  redis.call('SET', KEYS[5], stream .. '\\n' .. ARGV[3] .. '\\n' .. fmt(first) .. '\\n' .. fmt(seq), 'PX', ARGV[4], 'NX')
end
return {'appended', stream, fmt(first), fmt(seq), ARGV[3], created}
`;

/**
 * The last seq before the first retained entry whose time is >= ARGV[1], by binary search over the
 * running maximum of time (the first entry whose running maximum reaches the time is the first entry
 * whose own time does). Returns the last seq when no entry is that recent.
 */
export const SEEK_TIME_SCRIPT = `${PRELUDE}
local last = redis.call('HGET', KEYS[1], 'seq') or '0'
local head = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', 1)
if #head == 0 then return last end
local tail = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)
local t = tonumber(ARGV[1])
if maxtime_of(tail[1]) < t then return last end
local lo = seq_of(head[1][1])
local hi = seq_of(tail[1][1])
while lo < hi do
  local mid = math.floor((lo + hi) / 2)
  local id = fmt(mid) .. '-0'
  local found = redis.call('XRANGE', KEYS[2], id, id)
  if maxtime_of(found[1]) >= t then hi = mid else lo = mid + 1 end
end
return fmt(lo - 1)
`;

/**
 * Removes at most ARGV[4] of the oldest entries that the policy no longer keeps (ARGV[1] max
 * entries, ARGV[2] max bytes, ARGV[3] time cutoff; '' for no limit), with XTRIM MINID so only a
 * prefix ever goes. Returns how many were removed.
 */
export const PRUNE_SCRIPT = `${PRELUDE}
local batch = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', tonumber(ARGV[4]))
local count = redis.call('XLEN', KEYS[2])
local bytes = tonumber(redis.call('HGET', KEYS[1], 'bytes') or '0')
local max_entries = tonumber(ARGV[1])
local max_bytes = tonumber(ARGV[2])
local cutoff = tonumber(ARGV[3])
local removed = 0
local up_to = nil
for _, entry in ipairs(batch) do
  local over_count = max_entries ~= nil and count > max_entries
  local over_bytes = max_bytes ~= nil and bytes > max_bytes
  local too_old = cutoff ~= nil and time_of(entry) < cutoff
  if not (over_count or over_bytes or too_old) then break end
  up_to = entry[1]
  count = count - 1
  bytes = bytes - #field(entry, 'j')
  removed = removed + 1
end
if up_to then
  redis.call('XTRIM', KEYS[2], 'MINID', fmt(seq_of(up_to) + 1) .. '-0')
  if redis.call('HEXISTS', KEYS[1], 'stream') == 1 then redis.call('HSET', KEYS[1], 'bytes', fmt(bytes)) end
end
return removed
`;
