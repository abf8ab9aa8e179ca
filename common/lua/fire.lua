-- Fires one timer of opd:timers once: a warning (whose timer then becomes
-- the breach timer of the same clock) or a breach.
-- ARGV: now, maxlen, member ("ID|clock|w" or "ID|clock|b"), elapsed ratio
-- Returns 1 fired, 0 nothing to do (moved, met, fired already).
local member, ratio = ARGV[3], tonumber(ARGV[4])
local score = redis.call('ZSCORE', KEY.timers, member)
if not score or tonumber(score) > NOW then return 0 end
timers_rem(member)
local id, c, kind = MEMBER.timer_parse(member)
if not id then return 0 end
local k = K(id)
if hget(k, c .. '_state') ~= 'running' then return 0 end
local due = tonumber(hget(k, c .. '_due'))
if kind == 'w' then
  -- The clock's one timer becomes its breach (decision 168).
  if due then timers_add({due, MEMBER.timer(id, c, 'b')}) end
  if hget(k, c .. '_warned') then return 0 end
  redis.call('HSET', k, c .. '_warned', NOW)
  redis.call('ZADD', KEY.slo_risk, due or NOW, MEMBER.risk(id, c))
  slo_event('slo.warning', id, c, {elapsed_ratio = ratio})
  hist(id, NOW, 'opdesk-slo', 'slo_warning', {slo = SLO_NAMES[c], due_at = due})
  return 1
end
if not due or due > NOW then return 0 end
redis.call('HSET', k, c .. '_state', 'breached', c .. '_breached', NOW)
slo_done(id, c, NOW, 'breached')
slo_event('slo.breach', id, c, {breached_at = NOW})
hist(id, NOW, 'opdesk-slo', 'slo_breached', {slo = SLO_NAMES[c], due_at = due})
queue_refresh(id)
return 1
