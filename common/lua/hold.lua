-- Sets or lifts a legal hold on a ticket: while it holds, the anonymiser
-- leaves the ticket alone (anonymise.lua refuses it), whatever its
-- retention. ARGV: now, maxlen, id, by (a lead or admin), reason ('' lifts
-- the hold). Returns 1 changed, 0 already so, 2 no such ticket.
-- The history says who set or lifted it, when and why; the reason stays in
-- the hash while the hold lasts.
local id, by, reason = ARGV[3], ARGV[4], ARGV[5]
local k = K(id)
local t = redis.call('HMGET', k, 'id', 'hold', 'hold_reason')
if not t[1] then return 2 end
if reason ~= '' then
  if t[2] == '1' and t[3] == reason then return 0 end
  redis.call('HSET', k, 'hold', '1', 'hold_reason', reason, 'hold_by', by, 'hold_at', NOW)
  hist(id, NOW, by, 'hold_set', {reason = reason})
else
  if t[2] ~= '1' then return 0 end
  redis.call('HDEL', k, 'hold', 'hold_reason', 'hold_by', 'hold_at')
  hist(id, NOW, by, 'hold_lifted', {reason = t[3] or NULL})
end
return 1
