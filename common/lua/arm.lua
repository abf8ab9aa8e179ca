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
-- Everything this script reads of the hash, with one HMGET, and everything
-- it writes, with one HSET, one HDEL and one ZADD or ZREM per set: in a
-- script each redis.call costs more than the field it reads or writes
-- (BENCHMARKS.md, "Where the time goes").
local names = {'version', 'armed_at', 'slo_policy', 'first_reply_at', 'resolved_at', 'ack', 'priority',
               'nr_replied_at'}
for _, c in ipairs(CLOCKS) do
  for _, s in ipairs({'_state', '_target', '_due', '_warned'}) do names[#names + 1] = c .. s end
end
local got = redis.call('HMGET', k, unpack(names))
local h = {}
for i, name in ipairs(names) do
  if got[i] then h[name] = got[i] end
end
if not h.version then
  redis.call('ZREM', KEY.slo_work, id)
  return 0
end
if h.version ~= seen then return -1 end
redis.call('ZREM', KEY.slo_work, id)
local armed = h.armed_at
local previous = h.slo_policy or ''
local reason = (armed and previous ~= policy) and 'policy' or nil
local moved, nmoved = {}, 0
local function move(c, old, new)
  if old ~= new then
    moved[SLO_NAMES[c]] = {old or NULL, new or NULL}
    nmoved = nmoved + 1
  end
end
-- The writes, gathered: hash fields to set and to delete, timers and risk
-- members to add (score, member) and to remove.
local set, del, t_add, t_rem, risk_add, risk_rem = {}, {}, {}, {}, {}, {}
local function put(list, ...)
  for _, v in ipairs({...}) do list[#list + 1] = v end
end
if policy ~= '' then put(set, 'slo_policy', policy) else put(del, 'slo_policy') end
local given = {}
for i = 6, #ARGV, 5 do
  local c, due, warn, state = ARGV[i], tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2]), ARGV[i + 3]
  local target = tonumber(ARGV[i + 4])
  given[c] = true
  local st = h[c .. '_state']
  local old_target = tonumber(h[c .. '_target'])
  -- A clock met or breached keeps the due time it was judged against, so
  -- that its met_at or breached_at never contradicts it.
  if st ~= 'met' and st ~= 'breached' then
    if armed and old_target and old_target ~= target and not reason then reason = 'target' end
    move(c, tonumber(h[c .. '_due']), due)
    put(set, c .. '_due', due, c .. '_target', target)
    put(set, c .. '_state', state, c .. '_warn', warn)
    if state == 'running' then
      -- One timer a running clock: its warning while that is to come, then
      -- its breach (fire.lua swaps them).
      local warned = h[c .. '_warned']
      if warn > 0 and not warned then
        put(t_add, warn, MEMBER.timer(id, c, 'w'))
        put(t_rem, MEMBER.timer(id, c, 'b'))
      else
        if warned then put(risk_add, due, MEMBER.risk(id, c)) end
        put(t_add, due, MEMBER.timer(id, c, 'b'))
        put(t_rem, MEMBER.timer(id, c, 'w'))
      end
    else
      put(t_rem, MEMBER.timer(id, c, 'w'), MEMBER.timer(id, c, 'b'))
      put(risk_rem, MEMBER.risk(id, c))
    end
  end
end
for _, c in ipairs(CLOCKS) do
  if not given[c] then
    local st = h[c .. '_state']
    if st and st ~= 'met' and st ~= 'breached' then
      move(c, tonumber(h[c .. '_due']), nil)
      put(del, c .. '_state', c .. '_due', c .. '_warn')
    end
    put(del, c .. '_target')
    put(t_rem, MEMBER.timer(id, c, 'w'), MEMBER.timer(id, c, 'b'))
    put(risk_rem, MEMBER.risk(id, c))
  end
end
if not armed then put(set, 'armed_at', NOW) end
-- The sets of fields and of members above never overlap, so their order
-- does not matter; clock_met below reads what they wrote.
if #set > 0 then redis.call('HSET', k, unpack(set)) end
if #del > 0 then redis.call('HDEL', k, unpack(del)) end
timers_add(t_add)
if #risk_add > 0 then redis.call('ZADD', KEY.slo_risk, unpack(risk_add)) end
-- A ticket armed for the first time has no timers or risk members yet
-- (only this script and fire.lua, after it, add them).
if armed then
  timers_rem(unpack(t_rem))
  if #risk_rem > 0 then redis.call('ZREM', KEY.slo_risk, unpack(risk_rem)) end
end
-- What happened before the clocks were armed still counts.
local first = tonumber(h.first_reply_at)
if first and given.fr then clock_met(id, 'fr', first) end
local resolved = tonumber(h.resolved_at)
if resolved and given.res then clock_met(id, 'res', resolved) end
-- A next reply answered before its clock was armed: met at the answer.
local replied = tonumber(h.nr_replied_at)
if replied then
  if given.nr then clock_met(id, 'nr', replied) end
  redis.call('HDEL', k, 'nr_start', 'nr_replied_at')
end
if not armed then
  hist(id, NOW, 'opdesk-slo', 'slo_armed', {policy = nullable(policy)})
elseif reason == 'policy' or (reason and nmoved > 0) then
  local d = {reason = reason, policy = nullable(policy), priority = nullable(h.priority),
             clocks = moved}
  if reason == 'policy' then d.previous_policy = nullable(previous) end
  hist(id, NOW, 'opdesk-slo', 'slo_recomputed', d)
end
if h.ack == '1' then
  redis.call('HDEL', k, 'ack')
  outbox({kind = 'ack', ticket = id})
end
queue_refresh(id)
return 1
