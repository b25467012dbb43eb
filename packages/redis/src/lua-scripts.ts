/**
 * The Lua scripts of one stream. Each runs atomically in Redis and touches only the keys of one
 * stream, which share a hash tag and so one cluster slot: the seq counter, the entries, the indexes,
 * the idempotency keys and the end marker only ever change together, inside one script, whichever
 * livelog process runs it.
 *
 * Keys, always in this order (see `streamKeys`): KEYS[1] meta hash, KEYS[2] entry stream, KEYS[3]
 * source counts, KEYS[4] source last seen, KEYS[5] idempotency hash, KEYS[6] idempotency expiry set,
 * KEYS[7] (append of `default` only) the single-stream layout's idempotency string.
 *
 * Numbers cross the Lua boundary as strings formatted with `%d`: Lua's `tostring` prints 14
 * significant digits and would corrupt large seqs and times. A script that fails halfway keeps its
 * writes, so every check comes before the first write.
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
-- reader decodes per entry. r holds the receive time (absent in entries of the single-stream layout).
local function time_of(entry) return tonumber(string.match(field(entry, 'x'), '^(%S+) ')) end
local function maxtime_of(entry) return tonumber(string.match(field(entry, 'x'), '^%S+ (%S+) ')) end
local function recv_of(entry)
  local r = field(entry, 'r')
  if r then return tonumber(r) end
  return time_of(entry)
end
-- Redis's clock, not the caller's: every process appending to a stream agrees on receive times.
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
-- The stream identity, created when missing. Data without its meta has lost its identity (wiped,
-- evicted, deleted by hand): it is dropped and a new stream starts, so every old id is foreign.
-- labels: the JSON a new stream gets ('' for none).
local function ensure(candidate, now, labels)
  local stream = redis.call('HGET', KEYS[1], 'stream')
  if stream then return stream, '0' end
  redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6])
  redis.call('HSET', KEYS[1], 'stream', candidate, 'seq', '0', 'bytes', '0', 'created', fmt(now))
  if labels ~= nil and labels ~= '' then redis.call('HSET', KEYS[1], 'labels', labels) end
  return candidate, '1'
end
local function listed(stream)
  if redis.call('HGET', KEYS[1], 'listed') == stream then return '1' end
  return '0'
end
-- Removes up to n idempotency keys that expired.
local function expire_keys(now, n)
  local old = redis.call('ZRANGEBYSCORE', KEYS[6], '-inf', fmt(now), 'LIMIT', 0, n)
  if #old > 0 then
    redis.call('HDEL', KEYS[5], unpack(old))
    redis.call('ZREM', KEYS[6], unpack(old))
  end
end
`;

/**
 * Reads the state without creating anything.
 * Returns {identity or '', lastSeq, first entry id or '', end JSON or ''}.
 */
export const STATE_SCRIPT = `${PRELUDE}
local m = redis.call('HMGET', KEYS[1], 'stream', 'seq', 'end')
local head = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', 1)
local first = ''
if #head > 0 then first = head[1][1] end
return {m[1] or '', m[2] or '0', first, m[3] or ''}
`;

/**
 * Appends one batch: checks the idempotency key, refuses an ended stream, assigns seqs, writes every
 * entry with the explicit id `<seq>-0` and its JSON (the id and seq are known only here, so the script
 * writes the head that core's `encodeEntryHead` writes, in front of the body the caller encoded with
 * `encodeEntryBody`), updates the counters and source indexes, remembers the key, and publishes the
 * hint `a <identity> <lastSeq>` on the stream's channel.
 *
 * ARGV: hint channel, publish command (PUBLISH or SPUBLISH), candidate identity, body digest,
 * idempotency key or '', key lifetime in ms, most keys kept, labels JSON of a new stream or '', then per entry: time, level number,
 * source, `encodeEntryBody(entry)`.
 * Returns {'appended'|'replayed', identity, firstSeq, lastSeq, digest of the first batch, created, listed},
 * or the error `LIVELOG_ENDED <end JSON>`.
 */
export const APPEND_SCRIPT = `${PRELUDE}
local now = now_ms()
expire_keys(now, 100)
local key = ARGV[5]
local m = redis.call('HMGET', KEYS[1], 'stream', 'end')
if key ~= '' and m[1] then
  local seen = redis.call('HGET', KEYS[5], key)
  if not seen and #KEYS == 7 then seen = redis.call('GET', KEYS[7]) end
  if seen then
    local s, d, f, l = string.match(seen, '^([^\\n]*)\\n([^\\n]*)\\n(%d+)\\n(%d+)$')
    if s == m[1] then return {'replayed', s, f, l, d, '0', listed(s)} end
  end
end
if m[2] then return redis.error_reply('LIVELOG_ENDED ' .. m[2]) end
local stream, created = ensure(ARGV[3], now, ARGV[8])
local seq = tonumber(redis.call('HGET', KEYS[1], 'seq') or '0')
local top = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)
if #top > 0 and seq_of(top[1][1]) > seq then
  return redis.error_reply('LIVELOG_CORRUPT entry ' .. top[1][1] .. ' is past the seq counter ' .. fmt(seq))
end
local first = seq + 1
local meta = redis.call('HMGET', KEYS[1], 'maxtime', 'lasttime')
local maxtime = meta[1]
local maxnum = maxtime and tonumber(maxtime) or nil
-- Receive times never decrease in seq, so age retention trims a prefix.
local recv = now
if meta[2] and tonumber(meta[2]) > recv then recv = tonumber(meta[2]) end
local r = fmt(recv)
local bytes = 0
local sources = {}
local order = {}
for i = 9, #ARGV, 4 do
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
  redis.call('XADD', KEYS[2], s .. '-0', 'j', json, 'x', time .. ' ' .. maxtime .. ' ' .. ARGV[i + 1] .. ' ' .. ARGV[i + 2], 'r', r)
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
  redis.call('HSET', KEYS[1], 'seq', fmt(seq), 'maxtime', maxtime, 'lasttime', r)
  redis.call('HINCRBY', KEYS[1], 'bytes', bytes)
end
if key ~= '' then
  redis.call('HSET', KEYS[5], key, stream .. '\\n' .. ARGV[4] .. '\\n' .. fmt(first) .. '\\n' .. fmt(seq))
  redis.call('ZADD', KEYS[6], fmt(now + tonumber(ARGV[6])), key)
  -- The count bound: the keys nearest to expiring go first.
  local over = redis.call('ZCARD', KEYS[6]) - tonumber(ARGV[7])
  if over > 0 then
    local gone = redis.call('ZPOPMIN', KEYS[6], over)
    for i = 1, #gone, 2 do redis.call('HDEL', KEYS[5], gone[i]) end
  end
end
if ARGV[1] ~= '' then redis.call(ARGV[2], ARGV[1], 'a ' .. stream .. ' ' .. fmt(seq)) end
return {'appended', stream, fmt(first), fmt(seq), ARGV[4], created, listed(stream)}
`;

/**
 * Ends the stream (creating it when missing), atomically with appends: an append either ran before
 * and its entries precede the end, or it finds the end and is refused. Publishes `e <identity> <lastSeq>`.
 * ARGV: hint channel, publish command, candidate identity, end JSON, labels JSON of a new stream or ''.
 * Returns {identity, lastSeq, created, listed}, or the error `LIVELOG_ENDED <end JSON>`.
 */
export const END_SCRIPT = `${PRELUDE}
local previous = redis.call('HGET', KEYS[1], 'end')
if previous then return redis.error_reply('LIVELOG_ENDED ' .. previous) end
local stream, created = ensure(ARGV[3], now_ms(), ARGV[5])
redis.call('HSET', KEYS[1], 'end', ARGV[4])
local seq = redis.call('HGET', KEYS[1], 'seq')
if ARGV[1] ~= '' then redis.call(ARGV[2], ARGV[1], 'e ' .. stream .. ' ' .. seq) end
return {stream, seq, created, listed(stream)}
`;

/**
 * Creates the stream when missing and sets its labels and retention.
 * ARGV: candidate identity, labels JSON ('' keeps them), retention JSON ('' keeps it, '-' removes it).
 * Returns {identity, created, listed}.
 */
export const SET_SCRIPT = `${PRELUDE}
local stream, created = ensure(ARGV[1], now_ms(), '')
if ARGV[2] ~= '' then redis.call('HSET', KEYS[1], 'labels', ARGV[2]) end
if ARGV[3] == '-' then redis.call('HDEL', KEYS[1], 'retention')
elseif ARGV[3] ~= '' then redis.call('HSET', KEYS[1], 'retention', ARGV[3]) end
return {stream, created, listed(stream)}
`;

/** Marks the stream as registered, if it still has the identity registered. ARGV: identity. */
export const LISTED_SCRIPT = `
if redis.call('HGET', KEYS[1], 'stream') == ARGV[1] then redis.call('HSET', KEYS[1], 'listed', ARGV[1]) end
return 1
`;

/**
 * What `info()` shows, in one call. Returns {identity or '', lastSeq, first id or '', first receive
 * time or '', last receive time or '', entries, bytes, created, labels, retention, end}.
 */
export const INFO_SCRIPT = `${PRELUDE}
local m = redis.call('HMGET', KEYS[1], 'stream', 'seq', 'bytes', 'created', 'labels', 'retention', 'end', 'lasttime')
if not m[1] then return {''} end
local head = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', 1)
local first, first_time, last_time = '', '', ''
if #head > 0 then
  first = head[1][1]
  first_time = fmt(recv_of(head[1]))
  if m[8] then last_time = m[8] else
    local tail = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)
    last_time = fmt(recv_of(tail[1]))
  end
end
return {m[1], m[2] or '0', first, first_time, last_time, fmt(redis.call('XLEN', KEYS[2])), m[3] or '0', m[4] or '0', m[5] or '', m[6] or '', m[7] or ''}
`;

/** Removes every key of the stream and publishes `d <identity>`. ARGV: hint channel, publish command. Returns the identity or ''. */
export const DELETE_SCRIPT = `
local stream = redis.call('HGET', KEYS[1], 'stream')
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6])
if not stream then return '' end
if ARGV[1] ~= '' then redis.call(ARGV[2], ARGV[1], 'd ' .. stream) end
return stream
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
 * entries, ARGV[2] max bytes, ARGV[3] max age in ms, by receive time; '' for no limit), with XTRIM
 * MINID so only a prefix ever goes; then the sources last seen before what remains, and expired
 * idempotency keys. With ARGV[5] = '1' the stream's own retention (meta `retention`) overrides the
 * limits it sets, so a pass over many streams costs one call per stream.
 * Returns how many entries were removed.
 */
export const PRUNE_SCRIPT = `${PRELUDE}
local now = now_ms()
expire_keys(now, 1000)
local max_entries = tonumber(ARGV[1])
local max_bytes = tonumber(ARGV[2])
local max_age = tonumber(ARGV[3])
if ARGV[5] == '1' then
  local own = redis.call('HGET', KEYS[1], 'retention')
  if own then
    local ok, r = pcall(cjson.decode, own)
    if ok and type(r) == 'table' then
      if type(r.maxEntries) == 'number' then max_entries = r.maxEntries end
      if type(r.maxBytes) == 'number' then max_bytes = r.maxBytes end
      if type(r.maxAgeMs) == 'number' then max_age = r.maxAgeMs end
    end
  end
end
if max_entries == nil and max_bytes == nil and max_age == nil then return 0 end
local cutoff = nil
if max_age ~= nil then cutoff = now - max_age end
local batch = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', tonumber(ARGV[4]))
local count = redis.call('XLEN', KEYS[2])
local bytes = tonumber(redis.call('HGET', KEYS[1], 'bytes') or '0')
local removed = 0
local up_to = nil
for _, entry in ipairs(batch) do
  local over_count = max_entries ~= nil and count > max_entries
  local over_bytes = max_bytes ~= nil and bytes > max_bytes
  local too_old = cutoff ~= nil and recv_of(entry) < cutoff
  if not (over_count or over_bytes or too_old) then break end
  up_to = entry[1]
  count = count - 1
  bytes = bytes - #field(entry, 'j')
  removed = removed + 1
end
if up_to then
  local first = seq_of(up_to) + 1
  redis.call('XTRIM', KEYS[2], 'MINID', fmt(first) .. '-0')
  if redis.call('HEXISTS', KEYS[1], 'stream') == 1 then redis.call('HSET', KEYS[1], 'bytes', fmt(bytes)) end
  -- A source whose last entry is gone is no longer in the stream.
  local lasts = redis.call('HGETALL', KEYS[4])
  for i = 1, #lasts, 2 do
    if tonumber(string.match(lasts[i + 1], '^(%d+):')) < first then
      redis.call('HDEL', KEYS[4], lasts[i])
      redis.call('HDEL', KEYS[3], lasts[i])
    end
  end
end
return removed
`;
