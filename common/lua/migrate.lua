-- Brings the keys of a Redis written by an older opdesk to this layout
-- (LAYOUT), once, in one atomic step, so that no service ever sees half of
-- it: layout 2 names the ticket in a hash tag in each of its keys
-- (opd:t:OPD-42:c becomes opd:t:{OPD-42}:c, proto/schema.yaml), for Redis
-- Cluster. Every ticket is in opd:idx:all, read a thousand at a time; each
-- of its keys (TICKET_KEYS) is renamed when the old one exists and the new
-- one does not. A console beat's key (opd:t:ID:w:AGENT, five minutes) is
-- left to expire. Redis is busy meanwhile: about 1 s per 100,000 tickets.
-- Layout 4 keeps one timer a running clock (docs/decisions.md 168): a
-- clock whose warning is still to come loses its breach timer, which
-- fire.lua adds as the warning fires; layout 3's count of them goes.
-- ARGV: now, maxlen. Returns how many keys were renamed (0 when the layout
-- is current).
local layout = tonumber(redis.call('GET', KEY.layout) or '1') or 1
if layout >= tonumber(LAYOUT) then return 0 end
local early, at = {}, 0
while true do
  local members = redis.call('ZRANGE', KEY.timers, at, at + 9999)
  for _, m in ipairs(members) do
    local id, c, kind = MEMBER.timer_parse(m)
    if id and kind == 'w' then early[#early + 1] = MEMBER.timer(id, c, 'b') end
  end
  if #members < 10000 then break end
  at = at + 10000
end
for i = 1, #early, 1000 do
  redis.call('ZREM', KEY.timers, unpack(early, i, math.min(i + 999, #early)))
end
redis.call('DEL', KEY.timers_running)
local renamed, from = 0, 0
while layout < 2 do
  local ids = redis.call('ZRANGE', KEY.idx_all, from, from + 999)
  for _, id in ipairs(ids) do
    for _, name in ipairs(TICKET_KEYS) do
      local new = KEY[name](id)
      local old = string.gsub(new, '[{}]', '')
      if redis.call('EXISTS', old) == 1 and redis.call('EXISTS', new) == 0 then
        redis.call('RENAME', old, new)
        renamed = renamed + 1
      end
    end
  end
  if #ids < 1000 then break end
  from = from + 1000
end
-- A new desk's tickets record their threaded messages from the start: the
-- anonymiser has no older links to find (link.lua, decision 164).
if redis.call('ZCARD', KEY.idx_all) == 0 then
  redis.call('SET', KEY.anon_linked, '1')
end
redis.call('SET', KEY.layout, LAYOUT)
return renamed
