"""Fenced writes: Lua scripts that change a tenant's keys only while its lease still carries the
writing replica's value, so a replica that lost a tenant (paused, cut off, presumed dead) can
never overwrite what the new holder acknowledged since.

A lease that has simply run out (no replica took it meanwhile: Redis was away, or renewal fell
behind) is taken again by the write if this replica's fence was the last to write the tenant.
Each script returns 1 when it wrote, 0 when it refused.
"""

from __future__ import annotations

# KEYS: lease, tenant hash. ARGV: lease value, lease ms, fence, then field/value pairs.
FENCE_CHECK = """
local holder = redis.call('GET', KEYS[1])
if holder ~= ARGV[1] then
  if holder or redis.call('HGET', KEYS[2], 'fence') ~= ARGV[3] then
    return 0
  end
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
end
"""

WRITE = (
    FENCE_CHECK
    + """
redis.call('HSET', KEYS[2], 'fence', ARGV[3], unpack(ARGV, 4))
return 1
"""
)

# Log rows (standin._core.logrows): ARGV from ``first`` on holds n, then n field/value pairs of
# rows to set, in the rows hash ``rows``; HSET takes them 500 pairs at a time (a full log is more
# values than Lua's unpack takes at once). Returns the index after them.
SET_ROWS = """
local function set_rows(rows, first)
  local last = first + 2 * tonumber(ARGV[first])
  local i = first + 1
  while i <= last do
    local upto = math.min(i + 999, last)
    redis.call('HSET', rows, unpack(ARGV, i, upto))
    i = upto + 1
  end
  return last + 1
end
"""

# KEYS: lease, tenant hash, directory, credential index, rows hash. ARGV: lease value, lease ms,
# fence, tenant id, created score, k, then k credential fields, then the rows (SET_ROWS): every
# row of the tenant, replacing all kept, then the hash's field/value pairs.
SAVE_TENANT = (
    FENCE_CHECK
    + SET_ROWS
    + """
local k = tonumber(ARGV[6])
for i = 7, 6 + k do
  redis.call('HSET', KEYS[4], ARGV[i], ARGV[4])
end
redis.call('ZADD', KEYS[3], 'NX', ARGV[5], ARGV[4])
redis.call('DEL', KEYS[5])
local after = set_rows(KEYS[5], 7 + k)
redis.call('HDEL', KEYS[2], 'token')
redis.call('HSET', KEYS[2], 'fence', ARGV[3], unpack(ARGV, after))
return 1
"""
)

# KEYS: lease, tenant hash, rows hash. ARGV: lease value, lease ms, fence, state field, snapshot,
# the API's row prefix ("<api>\n"), full (1: every row of the API goes first), c, then c log
# prefixes whose rows all go, r, then r row fields that go, then the rows to set (SET_ROWS).
WRITE_STATE = (
    FENCE_CHECK
    + SET_ROWS
    + """
redis.call('HSET', KEYS[2], 'fence', ARGV[3], ARGV[4], ARGV[5])
local c = tonumber(ARGV[8])
local prefixes = {}
if ARGV[7] == '1' then
  prefixes[1] = ARGV[6]
end
for i = 9, 8 + c do
  prefixes[#prefixes + 1] = ARGV[i]
end
if #prefixes > 0 then
  for _, field in ipairs(redis.call('HKEYS', KEYS[3])) do
    for _, prefix in ipairs(prefixes) do
      if string.sub(field, 1, #prefix) == prefix then
        redis.call('HDEL', KEYS[3], field)
        break
      end
    end
  end
end
local r = tonumber(ARGV[9 + c])
for i = 10 + c, 9 + c + r do
  redis.call('HDEL', KEYS[3], ARGV[i])
end
set_rows(KEYS[3], 10 + c + r)
return 1
"""
)

# KEYS: tenant hash. ARGV: the plain-text tenant token an older standin kept, its digest (hex).
# The token becomes its digest, unless another replica changed the field meanwhile; not fenced:
# the tenant's data is the same before and after.
DIGEST_TOKEN = """
if redis.call('HGET', KEYS[1], 'token') == ARGV[1] then
  redis.call('HSET', KEYS[1], 'token_digest', ARGV[2])
  redis.call('HDEL', KEYS[1], 'token')
  return 1
end
return 0
"""

# KEYS: lease, tenant hash, directory, credential index, rows hash. ARGV: lease value, lease ms,
# fence, tenant id, then the credential fields to drop.
REMOVE_TENANT = (
    FENCE_CHECK
    + """
for i = 5, #ARGV do
  if redis.call('HGET', KEYS[4], ARGV[i]) == ARGV[4] then
    redis.call('HDEL', KEYS[4], ARGV[i])
  end
end
redis.call('ZREM', KEYS[3], ARGV[4])
redis.call('DEL', KEYS[2])
redis.call('DEL', KEYS[5])
redis.call('DEL', KEYS[1])
return 1
"""
)
