-- Writes the clocks opdesk-slo computed for one ticket and schedules their
-- timers. Computing happens in C (calendars need time zones); this script
-- only applies the result if the ticket did not change meanwhile.
-- ARGV: now, maxlen, id, version_seen, policy, then per clock five values:
--   clock (fr|nr|res), due (ms), warn (ms, 0 = none), state (running|paused),
--   target (ms of working time, kept as <clock>_target)
-- Returns 1 applied, 0 ticket gone, -1 changed meanwhile (try again).
-- The first time a ticket is armed, the history gets slo_armed. Later, when
-- the policy changed (a priority, category, team or kind change chose
-- another one) or a clock's target changed (a reload), the history gets
-- slo_recomputed {reason = 'policy'|'target', policy, previous_policy (when
-- changed), priority, clocks = {first_response = {old_due, new_due}, ...}}
-- with the clocks whose due time moved (null for a clock that came or went).
-- The change that caused it is the item just before (updated, routed).
-- Due times that move as a clock works (a pause ended, a requester wrote
-- again) are not recomputations and leave no item.
local id, seen, policy = ARGV[3], ARGV[4], ARGV[5]
local k = K(id)
local version = hget(k, 'version')
if not version then
  redis.call('ZREM', KEY.slo_work, id)
  return 0
end
if version ~= seen then return -1 end
redis.call('ZREM', KEY.slo_work, id)
local armed = hget(k, 'armed_at')
local previous = hget(k, 'slo_policy') or ''
local reason = (armed and previous ~= policy) and 'policy' or nil
local moved, nmoved = {}, 0
local function move(c, old, new)
  if old ~= new then
    moved[SLO_NAMES[c]] = {old or NULL, new or NULL}
    nmoved = nmoved + 1
  end
end
if policy ~= '' then
  redis.call('HSET', k, 'slo_policy', policy)
else
  redis.call('HDEL', k, 'slo_policy')
end
local given = {}
for i = 6, #ARGV, 5 do
  local c, due, warn, state = ARGV[i], tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2]), ARGV[i + 3]
  local target = tonumber(ARGV[i + 4])
  given[c] = true
  local st = hget(k, c .. '_state')
  local old_target = tonumber(hget(k, c .. '_target'))
  if armed and old_target and old_target ~= target and not reason then reason = 'target' end
  move(c, tonumber(hget(k, c .. '_due')), due)
  redis.call('HSET', k, c .. '_due', due, c .. '_target', target)
  if st ~= 'met' and st ~= 'breached' then
    redis.call('HSET', k, c .. '_state', state, c .. '_warn', warn)
    if state == 'running' then
      if warn > 0 and not hget(k, c .. '_warned') then
        redis.call('ZADD', KEY.timers, warn, MEMBER.timer(id, c, 'w'))
      elseif hget(k, c .. '_warned') then
        redis.call('ZADD', KEY.slo_risk, due, MEMBER.risk(id, c))
      end
      redis.call('ZADD', KEY.timers, due, MEMBER.timer(id, c, 'b'))
    else
      redis.call('ZREM', KEY.timers, MEMBER.timer(id, c, 'w'), MEMBER.timer(id, c, 'b'))
      redis.call('ZREM', KEY.slo_risk, MEMBER.risk(id, c))
    end
  end
end
for _, c in ipairs({'fr', 'nr', 'res'}) do
  if not given[c] then
    local st = hget(k, c .. '_state')
    if st and st ~= 'met' and st ~= 'breached' then
      move(c, tonumber(hget(k, c .. '_due')), nil)
      redis.call('HDEL', k, c .. '_state', c .. '_due', c .. '_warn')
    end
    redis.call('HDEL', k, c .. '_target')
    redis.call('ZREM', KEY.timers, MEMBER.timer(id, c, 'w'), MEMBER.timer(id, c, 'b'))
    redis.call('ZREM', KEY.slo_risk, MEMBER.risk(id, c))
  end
end
-- What happened before the clocks were armed still counts.
local first = tonumber(hget(k, 'first_reply_at'))
if first and given.fr then clock_met(id, 'fr', first) end
local resolved = tonumber(hget(k, 'resolved_at'))
if resolved and given.res then clock_met(id, 'res', resolved) end
if not armed then
  redis.call('HSET', k, 'armed_at', NOW)
  hist(id, NOW, 'opdesk-slo', 'slo_armed', {policy = nullable(policy)})
elseif reason == 'policy' or (reason and nmoved > 0) then
  local d = {reason = reason, policy = nullable(policy), priority = nullable(hget(k, 'priority')),
             clocks = moved}
  if reason == 'policy' then d.previous_policy = nullable(previous) end
  hist(id, NOW, 'opdesk-slo', 'slo_recomputed', d)
end
if hget(k, 'ack') == '1' then
  redis.call('HDEL', k, 'ack')
  outbox({kind = 'ack', ticket = id})
end
queue_refresh(id)
return 1
