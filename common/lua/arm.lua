-- Writes the clocks opdesk-slo computed for one ticket and schedules their
-- timers. Computing happens in C (calendars need time zones); this script
-- only applies the result if the ticket did not change meanwhile.
-- ARGV: now, maxlen, id, version_seen, policy, then per clock four values:
--   clock (fr|nr|res), due (ms), warn (ms, 0 = none), state (running|paused)
-- Returns 1 applied, 0 ticket gone, -1 changed meanwhile (try again).
local id, seen, policy = ARGV[3], ARGV[4], ARGV[5]
local k = K(id)
local version = hget(k, 'version')
if not version then
  redis.call('ZREM', 'opd:slo:todo', id)
  return 0
end
if version ~= seen then return -1 end
redis.call('ZREM', 'opd:slo:todo', id)
if policy ~= '' then
  redis.call('HSET', k, 'slo_policy', policy)
else
  redis.call('HDEL', k, 'slo_policy')
end
local given = {}
for i = 6, #ARGV, 4 do
  local c, due, warn, state = ARGV[i], tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2]), ARGV[i + 3]
  given[c] = true
  local st = hget(k, c .. '_state')
  redis.call('HSET', k, c .. '_due', due)
  if st ~= 'met' and st ~= 'breached' then
    redis.call('HSET', k, c .. '_state', state, c .. '_warn', warn)
    if state == 'running' then
      if warn > 0 and not hget(k, c .. '_warned') then
        redis.call('ZADD', 'opd:timers', warn, id .. '|' .. c .. '|w')
      elseif hget(k, c .. '_warned') then
        redis.call('ZADD', 'opd:slo:risk', due, id .. '|' .. c)
      end
      redis.call('ZADD', 'opd:timers', due, id .. '|' .. c .. '|b')
    else
      redis.call('ZREM', 'opd:timers', id .. '|' .. c .. '|w', id .. '|' .. c .. '|b')
      redis.call('ZREM', 'opd:slo:risk', id .. '|' .. c)
    end
  end
end
for _, c in ipairs({'fr', 'nr', 'res'}) do
  if not given[c] then
    local st = hget(k, c .. '_state')
    if st and st ~= 'met' and st ~= 'breached' then
      redis.call('HDEL', k, c .. '_state', c .. '_due', c .. '_warn')
    end
    redis.call('ZREM', 'opd:timers', id .. '|' .. c .. '|w', id .. '|' .. c .. '|b')
    redis.call('ZREM', 'opd:slo:risk', id .. '|' .. c)
  end
end
-- What happened before the clocks were armed still counts.
local first = tonumber(hget(k, 'first_reply_at'))
if first and given.fr then clock_met(id, 'fr', first) end
local resolved = tonumber(hget(k, 'resolved_at'))
if resolved and given.res then clock_met(id, 'res', resolved) end
if not hget(k, 'armed_at') then
  redis.call('HSET', k, 'armed_at', NOW)
  hist(id, NOW, 'opdesk-slo', 'slo_armed', {policy = nullable(policy)})
end
if hget(k, 'ack') == '1' then
  redis.call('HDEL', k, 'ack')
  outbox({kind = 'ack', ticket = id})
end
queue_refresh(id)
return 1
