-- Changes fields of a ticket and moves it through the workflow. Resolving
-- adds the note as a public comment (the resolution note the requester gets).
-- ARGV: now, maxlen, id, actor, expected_version ('' = any), note, then
-- field/value pairs ('' clears a field). Values were validated by the caller
-- against the configuration; the workflow is checked here, atomically.
-- Returns {'ok', version, changed (1/0)}, {'not_found'},
-- {'conflict', status, allowed (comma separated)} or {'version', current}.
local id, actor, expected, note = ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local ALLOWED = {new = {'open', 'pending', 'resolved'}, open = {'pending', 'resolved'},
                 pending = {'open', 'resolved'}, resolved = {'open', 'closed'}, closed = {}}
local k = K(id)
local t = hgetall(k)
if not t.id then return {'not_found'} end
if expected ~= '' and t.version ~= expected then return {'version', t.version} end

local want = {}
local order = {}
for i = 7, #ARGV, 2 do
  if want[ARGV[i]] == nil then order[#order + 1] = ARGV[i] end
  want[ARGV[i]] = ARGV[i + 1]
end
-- The same status again changes nothing, except on a closed ticket: closed
-- is final, and every move from it is a conflict.
if want.status and (want.status ~= t.status or t.status == 'closed') then
  local ok = false
  for _, s in ipairs(ALLOWED[t.status] or {}) do if s == want.status then ok = true end end
  if not ok then return {'conflict', t.status, table.concat(ALLOWED[t.status] or {}, ',')} end
end
-- A hand-off clears the assignee unless the same change names one.
if want.team and want.team ~= (t.team or '') and want.assignee == nil and t.assignee then
  want.assignee = ''
  order[#order + 1] = 'assignee'
end

-- The custom fields' old or new value in the event: the map they are (the
-- hash and the history keep the JSON text, exact to the digit; cjson here
-- keeps 14), none as null.
local function fields_map(v)
  if v == NULL or v == '' then return NULL end
  local ok, obj = pcall(cjson.decode, v)
  if ok and type(obj) == 'table' then return next(obj) ~= nil and obj or NULL end
  return v
end

local changes = {}
local changed = false
for _, f in ipairs(order) do
  local v = want[f]
  local old = t[f]
  if (old or '') ~= v then
    changed = true
    changes[f] = {nullable(old), nullable(v)}
    if v == '' then redis.call('HDEL', k, f) else redis.call('HSET', k, f, v) end
  end
end
if not changed then return {'ok', t.version, 0} end

local created = tonumber(t.created_at) or NOW
local version = redis.call('HINCRBY', k, 'version', 1)
redis.call('HSET', k, 'updated_at', NOW)

if changes.team then
  local since = tonumber(t.team_since) or created
  if t.team then
    redis.call('HINCRBY', k, 'team_ms:' .. t.team, NOW - since)
    redis.call('ZREM', KEY.idx_team(t.team), id)
  end
  redis.call('HSET', k, 'team_since', NOW)
  if want.team ~= '' then redis.call('ZADD', KEY.idx_team(want.team), created, id) end
  hist(id, NOW, actor, 'handoff', {from = nullable(t.team), to = nullable(want.team), note = nullable(note)})
  -- A person moved a ticket that a rule routed less than 24 hours ago: the
  -- rule's misroute, counted once per ticket (opdesk route --stats, /metrics).
  local routed_at = tonumber(t.routed_at)
  if t.rule and routed_at and NOW - routed_at <= 86400000 and actor ~= 'rota'
     and not string.find(actor, '^opdesk%-') and redis.call('HSETNX', k, 'misrouted', '1') == 1 then
    redis.call('HINCRBY', KEY.stats_route, t.rule .. '|misrouted', 1)
  end
end
if changes.priority or changes.category or changes.team or changes.kind then
  redis.call('ZADD', KEY.slo_work, NOW, id)
end

local new = changes.status and want.status
if new then
  local old = t.status
  index_status(id, old, new, created)
  if old == 'pending' and hget(k, 'res_pause') then
    local span = hget(k, 'res_pause') .. '-' .. NOW
    local pauses = hget(k, 'res_pauses')
    redis.call('HSET', k, 'res_pauses', pauses and (pauses .. ',' .. span) or span)
    redis.call('HDEL', k, 'res_pause')
    if new ~= 'resolved' and hget(k, 'res_state') == 'paused' then
      redis.call('HSET', k, 'res_state', 'running')
    end
    redis.call('ZADD', KEY.slo_work, NOW, id)
  end
  if new == 'pending' then
    redis.call('HSET', k, 'res_pause', NOW)
    if hget(k, 'res_state') == 'running' then
      redis.call('HSET', k, 'res_state', 'paused')
      timers_rem(MEMBER.timer(id, 'res', 'w'), MEMBER.timer(id, 'res', 'b'))
      redis.call('ZREM', KEY.slo_risk, MEMBER.risk(id, 'res'))
    end
  elseif new == 'resolved' then
    redis.call('HSET', k, 'resolved_at', NOW)
    -- The resolution note reaches the requester as a public message from the
    -- resolver, which meets every other clock still running (first response,
    -- next reply): a resolved ticket never breaches afterwards.
    if note ~= '' then add_comment(id, NOW, actor, 'agent', true, note, nil, true) end
    clock_met(id, 'res', NOW)
  elseif new == 'closed' then
    redis.call('HSET', k, 'closed_at', NOW)
    redis.call('ZADD', KEY.closed, NOW, id)
  elseif old == 'resolved' and new == 'open' then
    resume_resolution(id, NOW)
  end
end

hist(id, NOW, actor, 'updated', {changes = changes, note = nullable(note)})
local ev_changes = {}
for f, pair in pairs(changes) do ev_changes[f] = pair end
if changes.fields then ev_changes.fields = {fields_map(changes.fields[1]), fields_map(changes.fields[2])} end
emit('ticket.updated', {ticket_id = id, by = actor, changes = ev_changes})
if new == 'resolved' then emit('ticket.resolved', {ticket_id = id, by = actor}) end
if new == 'closed' then emit('ticket.closed', {ticket_id = id, by = actor}) end
if new == 'open' and t.status == 'resolved' then emit('ticket.reopened', {ticket_id = id, by = actor}) end
queue_refresh(id)
return {'ok', version, 1}
