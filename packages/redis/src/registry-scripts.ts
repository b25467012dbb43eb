/**
 * Scripts of the stream registry, on the slot of the `{prefix}` hash tag (see `registryKeys`):
 * KEYS[1] names (sorted set), KEYS[2] identities (hash), KEYS[3] recent (sorted set), KEYS[4]
 * retained (set). The registry is updated after the stream's own script, as a separate step:
 * a stream may be listed a moment late, and each step is idempotent so that a retry repairs it.
 */

/**
 * A stream's `recent` score: its activity time, or one more than the highest score when that is not
 * below it. Scores rise strictly with every script that sets them, so that an `order=recent` listing
 * can pin the highest it saw and know every stream above it was written since; instances' clocks
 * differ and touches land up to a second late, so the time alone would not do (see recent-list.ts in
 * core). One score per script call, not one more per stream, so scores run at most a millisecond per
 * call ahead of the clocks.
 */
const RISING = `
local function rising(key, time)
  local top = redis.call('ZREVRANGE', key, 0, 0, 'WITHSCORES')
  local t = tonumber(time)
  if top[2] ~= nil and tonumber(top[2]) >= t then t = tonumber(top[2]) + 1 end
  return t
end
`;

/**
 * Raises the `recent` scores of streams written: KEYS[1] recent; ARGV pairs of activity time and name.
 * A stream not listed (deleted meanwhile) is not listed again; a score already at the time (the
 * write was recorded before) stays, so that only a write not yet seen moves a stream.
 */
export const TOUCH_SCRIPT = `${RISING}
local floor = rising(KEYS[1], '0')
for i = 1, #ARGV, 2 do
  local current = redis.call('ZSCORE', KEYS[1], ARGV[i + 1])
  if current and tonumber(current) < tonumber(ARGV[i]) then
    redis.call('ZADD', KEYS[1], 'XX', 'GT', string.format('%.0f', math.max(tonumber(ARGV[i]), floor)), ARGV[i + 1])
  end
end
return 0
`;

/**
 * Lists stream ARGV[1] with identity ARGV[2]; ARGV[3] activity time, ARGV[4] '1' / '0' / '' (has a
 * retention of its own / has not / unknown), ARGV[5] changes channel, ARGV[6] publish command, ARGV[7] origin.
 * Publishes `created <name> <origin>` when the name is new or now names another identity. Returns 1 then, else 0.
 */
export const REGISTER_SCRIPT = `${RISING}
local old = redis.call('HGET', KEYS[2], ARGV[1])
local score = string.format('%.0f', rising(KEYS[3], ARGV[3]))
redis.call('ZADD', KEYS[1], 0, ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
if ARGV[4] == '1' then redis.call('SADD', KEYS[4], ARGV[1]) elseif ARGV[4] == '0' then redis.call('SREM', KEYS[4], ARGV[1]) end
if old == ARGV[2] then
  redis.call('ZADD', KEYS[3], 'GT', score, ARGV[1])
  return 0
end
redis.call('ZADD', KEYS[3], score, ARGV[1])
if ARGV[5] ~= '' then redis.call(ARGV[6], ARGV[5], 'created ' .. ARGV[1] .. ' ' .. ARGV[7]) end
return 1
`;

/**
 * Unlists stream ARGV[1] if the registry still holds identity ARGV[2] ('' for any): a newer stream of
 * the same name, listed meanwhile, stays. ARGV[3] changes channel, ARGV[4] publish command, ARGV[5] origin.
 * Publishes `deleted <name> <origin> <identity>`. Returns 1 when it unlisted, else 0.
 */
export const UNREGISTER_SCRIPT = `
local held = redis.call('HGET', KEYS[2], ARGV[1])
if not held then return 0 end
if ARGV[2] ~= '' and held ~= ARGV[2] then return 0 end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('SREM', KEYS[4], ARGV[1])
if ARGV[3] ~= '' then redis.call(ARGV[4], ARGV[3], 'deleted ' .. ARGV[1] .. ' ' .. ARGV[5] .. ' ' .. held) end
return 1
`;
