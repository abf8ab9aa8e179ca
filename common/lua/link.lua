-- Records the messages threaded onto tickets (the field links, which
-- create.lua writes for each reply since docs/decisions.md 164) from their
-- idempotency keys, for the tickets of a desk older than that: the
-- anonymiser runs it once, over every opd:idem:* key (SCAN), before its
-- first pass, so that anonymise.lua finds every message's keys from the
-- ticket. A key that names a ticket whose first message it is not becomes a
-- link of that ticket, unless it is one already.
-- ARGV: now, maxlen, then idempotency key names. Returns how many links
-- were recorded.
local prefix = KEY.idem('', '')
prefix = string.sub(prefix, 1, #prefix - 1)

local function link(id, ch, x)
  local t = redis.call('HMGET', K(id), 'channel', 'external_id')
  if not t[1] or (t[1] == ch and t[2] == x) then return 0 end
  return add_link(id, ch, x)
end

local n = 0
for a = 3, #ARGV do
  local key = ARGV[a]
  if string.sub(key, 1, #prefix) == prefix then
    local ch, x = string.match(string.sub(key, #prefix + 1), '^([^:]*):(.*)$')
    local id = ch and hget(key, 'id')
    if id then n = n + link(id, ch, x) end
  end
end
return n
