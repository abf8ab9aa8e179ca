-- A period's pseudonym key is destroyed: its pseudonyms cannot be linked to
-- anyone any more, so its tickets are anonymous now (EDPB guidelines 01/2025).
-- ARGV: now, maxlen, period, batch. The first call marks the period
-- destroyed (the anonymiser never makes its key again, and anonymise.lua
-- drops a pseudonym of it) and records key.destroyed; each call turns up to
-- batch tickets of the period to privacy=anonymous, with a history entry.
-- Returns how many tickets of the period are left to turn.
local period, batch = ARGV[3], tonumber(ARGV[4])
local pk = KEY.pseudo_period(period)
if redis.call('HSETNX', KEY.pseudo_destroyed, period, NOW) == 1 then
  emit('key.destroyed', {period = period, tickets = redis.call('ZCARD', pk)})
end
for _, id in ipairs(redis.call('ZRANGE', pk, 0, batch - 1)) do
  local k = K(id)
  if hget(k, 'pseudonym_period') == period and hget(k, 'privacy') == 'pseudonymised' then
    redis.call('HSET', k, 'privacy', 'anonymous')
    hist(id, NOW, 'opdesk-anonymiser', 'pseudonym_key_destroyed', {period = period})
  end
  redis.call('ZREM', pk, id)
end
return redis.call('ZCARD', pk)
