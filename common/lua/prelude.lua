-- Shared by every opdesk script: the top level of the Redis function library
-- opdesk (common/embed_lua.cmake), run once when the library is loaded. Each
-- function sets NOW from its ARGV[1] (the caller's clock in ms) and MAXLEN
-- from ARGV[2] (the length the event history is trimmed to) before its body,
-- and NULL to cjson.null (cjson is not there while the library loads).
local NOW, MAXLEN, NULL

local K = KEY.ticket

-- The layout of the keys (KEY.layout): 2, every ticket's keys name it in a
-- hash tag; 4, opd:timers holds one member per running clock. opd_version
-- answers its version with " migrate" after it while Redis holds an older
-- layout, and the service that reads so runs
-- migrate.lua before anything else (common/src/opd_redis.c).
local LAYOUT = '4'

local function hgetall(key)
  local flat = redis.call('HGETALL', key)
  local t = {}
  for i = 1, #flat, 2 do t[flat[i]] = flat[i + 1] end
  return t
end

local function hget(key, field)
  local v = redis.call('HGET', key, field)
  if v == false then return nil end
  return v
end

-- Records a message (channel ch, external id x) threaded onto ticket id in
-- its field links, once, so that anonymise.lua finds the message's keys
-- from the ticket (docs/decisions.md 164). Returns 1 when added.
local function add_link(id, ch, x)
  local list = {}
  local raw = hget(K(id), 'links')
  if raw then
    local ok, old = pcall(cjson.decode, raw)
    if ok and type(old) == 'table' then list = old end
  end
  for _, l in ipairs(list) do
    if l[1] == ch and l[2] == x then return 0 end
  end
  list[#list + 1] = {ch, x}
  redis.call('HSET', K(id), 'links', cjson.encode(list))
  return 1
end

-- Team queues (proto/keys.md): opd:q:due:<team> holds every ticket of the
-- team that is not resolved or closed, scored by the earliest due time of its
-- clocks that are running, or breached and not met yet; a ticket without such
-- a clock scores QUEUE_LAST + created_at, so it sorts after every deadline,
-- oldest first. opd:resolved (score resolved_at) is what the auto-close pass
-- reads. The hash field qteam remembers which queue holds the ticket, so a
-- hand-off leaves the old one. Every script that changes a ticket's team,
-- status or clocks calls this once it is done; it is idempotent.
local QUEUE_LAST = 8000000000000000

-- Counts per team and status (opd:count:team:<team>): the ticket's cnt
-- field says where it is counted ('TEAM|STATUS'); when that is not where it
-- is now, the count moves. Exact as long as every change calls this.
local function count_refresh(id, team, status, counted)
  local want = (team and team ~= '' and status) and (team .. '|' .. status) or false
  if counted == want or (not counted and not want) then return end
  if counted then
    local ot, os = string.match(counted, '^(.*)|([^|]*)$')
    if ot then redis.call('HINCRBY', KEY.count_team(ot), os, -1) end
  end
  if want then
    redis.call('HINCRBY', KEY.count_team(team), status, 1)
    redis.call('HSET', K(id), 'cnt', want)
  else
    redis.call('HDEL', K(id), 'cnt')
  end
end

local function queue_refresh(id)
  local k = K(id)
  local f = redis.call('HMGET', k, 'team', 'status', 'qteam', 'created_at', 'resolved_at',
                       'fr_state', 'fr_due', 'fr_met', 'nr_state', 'nr_due', 'nr_met',
                       'res_state', 'res_due', 'res_met', 'cnt')
  local team, status, old = f[1], f[2], f[3]
  count_refresh(id, team, status, f[15])
  if not status then
    if old then redis.call('ZREM', KEY.queue_due(old), id) end
    redis.call('ZREM', KEY.resolved, id)
    return
  end
  local best = nil
  for i = 6, 12, 3 do
    local st, due = f[i], tonumber(f[i + 1])
    if due and (st == 'running' or (st == 'breached' and not f[i + 2])) and (not best or due < best) then
      best = due
    end
  end
  local want = false
  if team and team ~= '' and status ~= 'resolved' and status ~= 'closed' then want = team end
  if old and old ~= want then redis.call('ZREM', KEY.queue_due(old), id) end
  if want then
    redis.call('ZADD', KEY.queue_due(want), best or (QUEUE_LAST + (tonumber(f[4]) or 0)), id)
    if old ~= want then redis.call('HSET', k, 'qteam', want) end
  elseif old then
    redis.call('HDEL', k, 'qteam')
  end
  if status == 'resolved' then
    redis.call('ZADD', KEY.resolved, tonumber(f[5]) or NOW, id)
  else
    redis.call('ZREM', KEY.resolved, id)
  end
end

-- An event: kept in the durable history (a stream), relayed live by intake.
local function emit(topic, ev)
  ev.v = 1
  ev.type = topic
  if ev.at == nil then ev.at = NOW end
  return redis.call('XADD', KEY.events, 'MAXLEN', '~', MAXLEN, '*', 't', topic, 'm', cmsgpack.pack(ev))
end

local function hist(id, at, actor, action, details)
  redis.call('RPUSH', KEY.history(id), cjson.encode({at = at, actor = actor, action = action, details = details or {}}))
end

local function outbox(job)
  job.id = redis.call('INCR', KEY.outbox_seq)
  job.queued_at = NOW
  job.attempt = 0
  redis.call('LPUSH', KEY.outbox_ready, cjson.encode(job))
end

-- The tickets holding each attachment body: cmd 'SADD' when a ticket lists
-- the bodies of attachments (its JSON list), 'SREM' when it lets go of them
-- (anonymise.lua); a body no ticket holds may be deleted (decision 142).
local function blob_ref(cmd, id, a)
  local sha = type(a) == 'table' and a.sha256
  if type(sha) == 'string' and string.match(sha, '^%x+$') and #sha == 64 then
    redis.call(cmd, KEY.blob_refs(sha), id)
  end
end

local function blob_refs(cmd, id, attachments)
  if not attachments or attachments == '' then return end
  local ok, list = pcall(cjson.decode, attachments)
  if not ok or type(list) ~= 'table' then return end
  for _, a in ipairs(list) do blob_ref(cmd, id, a) end
end

-- Adds attachment metadata (a list of maps: name, content_type, size,
-- sha256) to ticket id's list, each name and body once, at most max in all
-- (attach.lua, and a reply's attachments in create.lua): history
-- attachment_added for each (no names: they may be personal), its body
-- held (blob_ref), and one ticket.updated with the counts before and after.
-- Returns the count added and whether one was left out for want of room.
local function attachments_add(id, by, at, metas, max)
  local k = K(id)
  local cur, list = hget(k, 'attachments'), {}
  if cur and cur ~= '' then
    local ok, l = pcall(cjson.decode, cur)
    if ok and type(l) == 'table' then list = l end
  end
  local before, full = #list, false
  for _, a in ipairs(metas) do
    local dup = false
    for _, b in ipairs(list) do dup = dup or (b.sha256 == a.sha256 and b.name == a.name) end
    full = full or (not dup and #list >= max)
    if not dup and #list < max then
      list[#list + 1] = a
      blob_ref('SADD', id, a)
      hist(id, at, by, 'attachment_added', {sha256 = a.sha256, size = a.size})
    end
  end
  if #list > before then
    redis.call('HSET', k, 'attachments', cjson.encode(list))
    emit('ticket.updated', {ticket_id = id, by = by, changes = {attachments = {before, #list}}})
  end
  return #list - before, full
end

local function nullable(v)
  if v == nil or v == false or v == '' then return NULL end
  return v
end

local function slo_event(topic, id, c, extra)
  local k = K(id)
  local ev = {ticket_id = id, slo = SLO_NAMES[c], policy = nullable(hget(k, 'slo_policy')),
              due_at = tonumber(hget(k, c .. '_due')) or NULL}
  if topic ~= 'slo.met' then
    ev.priority = nullable(hget(k, 'priority'))
    ev.team = nullable(hget(k, 'team'))
  end
  for key, v in pairs(extra) do ev[key] = v end
  emit(topic, ev)
end

-- Measuring (opd_report.h): every finished clock is counted once in the
-- per policy and SLO windows opd:slo:done:<policy>:<slo>:met|breached (score
-- = when it finished, member '<ID>|<due>', trimmed to 35 days) and counters
-- of opd:stats:slo. Met first-response and resolution clocks also go to
-- opd:slo:measure, where opdesk-slo turns them into working-time histograms
-- (the calendar arithmetic is in C). outcome: 'met' (in time) or 'breached'.
local DONE_KEEP_MS = 35 * 86400000
local function slo_done(id, c, at, outcome)
  local k = K(id)
  local policy = hget(k, 'slo_policy')
  if not policy then return end
  local key = KEY.slo_done(policy, SLO_NAMES[c], outcome)
  redis.call('ZADD', key, at, MEMBER.done(id, hget(k, c .. '_due') or ''))
  redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. (NOW - DONE_KEEP_MS))
  redis.call('HINCRBY', KEY.stats_slo, outcome .. '|' .. policy .. '|' .. SLO_NAMES[c], 1)
  redis.call('ZREM', KEY.slo_risk, MEMBER.risk(id, c))
  -- A next-reply cycle that breached stays counted when the next one starts.
  if c == 'nr' and outcome == 'breached' then redis.call('HINCRBY', k, 'nr_breaches', 1) end
end

-- opd:timers holds one member per running clock: ID|CLOCK|w at the time of
-- its warning while that is still to come, then ID|CLOCK|b at its due time
-- (fire.lua swaps them as the warning fires; docs/decisions.md 168). Its size
-- is the number of running clocks.
-- Adds (score, member) pairs.
local function timers_add(list)
  if #list > 0 then redis.call('ZADD', KEY.timers, unpack(list)) end
end

-- Removes members.
local function timers_rem(...)
  local members = {...}
  if #members > 0 then redis.call('ZREM', KEY.timers, unpack(members)) end
end

-- A clock is met at 'at'. A clock that was running past its due time and
-- whose breach timer has not fired yet is breached first, at 'at' (never
-- before due), so that reports stay true when opdesk-slo lags.
local function clock_met(id, c, at)
  local k = K(id)
  local st = hget(k, c .. '_state')
  if not st or st == 'met' or hget(k, c .. '_met') then return end
  local due = tonumber(hget(k, c .. '_due'))
  if st == 'running' and due and at > due then
    redis.call('HSET', k, c .. '_state', 'breached', c .. '_breached', at)
    slo_done(id, c, at, 'breached')
    slo_event('slo.breach', id, c, {breached_at = at, at = at})
    hist(id, at, 'opdesk-slo', 'slo_breached', {slo = SLO_NAMES[c], due_at = due})
    st = 'breached'
  end
  redis.call('HSET', k, c .. '_met', at)
  if st ~= 'breached' then
    redis.call('HSET', k, c .. '_state', 'met')
    slo_done(id, c, at, 'met')
  end
  redis.call('ZREM', KEY.slo_risk, MEMBER.risk(id, c))
  if c ~= 'nr' and hget(k, 'slo_policy') then
    redis.call('ZADD', KEY.slo_measure, at, MEMBER.measure(id, c, at))
  end
  timers_rem(MEMBER.timer(id, c, 'w'), MEMBER.timer(id, c, 'b'))
  slo_event('slo.met', id, c, {met_at = at})
  hist(id, at, 'opdesk-slo', 'slo_met', {slo = SLO_NAMES[c], due_at = due or NULL, breached = (st == 'breached')})
  queue_refresh(id)
end

-- A standard response was sent on the ticket: counted (by 'agent' or
-- 'automatic') and remembered in stdresp_sent, for the reopen count.
local function stdresp_sent(id, sr, by)
  redis.call('HINCRBY', KEY.stats_stdresp, sr .. '|' .. by, 1)
  local k = K(id)
  local sent = hget(k, 'stdresp_sent')
  if not sent then
    redis.call('HSET', k, 'stdresp_sent', sr)
  elseif not string.find(',' .. sent .. ',', ',' .. sr .. ',', 1, true) then
    redis.call('HSET', k, 'stdresp_sent', sent .. ',' .. sr)
  end
end

-- Adds a comment. role: requester, agent or system. Public agent comments
-- meet the first-response and next-reply clocks and go out by mail; public
-- requester comments after the first response start a next-reply clock.
-- resolution: the comment is the resolution note (the mail says so).
local function add_comment(id, at, author, role, public, body, stdresp, resolution)
  local k = K(id)
  local cid = redis.call('HINCRBY', k, 'ncomments', 1)
  local c = {id = cid, author = author, role = role, public = public, body = body, at = at}
  if stdresp and stdresp ~= '' then
    c.standard_response = stdresp
    stdresp_sent(id, stdresp, role == 'agent' and 'agent' or role)
  end
  if resolution then c.resolution = true end
  redis.call('RPUSH', KEY.comments(id), cjson.encode(c))
  hist(id, at, author, public and 'comment' or 'internal_comment', {comment = cid})
  if public and role == 'agent' then
    if not hget(k, 'first_reply_at') then redis.call('HSET', k, 'first_reply_at', at) end
    clock_met(id, 'fr', at)
    if hget(k, 'nr_start') and hget(k, 'nr_state') then
      clock_met(id, 'nr', at)
      redis.call('HDEL', k, 'nr_start')
    elseif hget(k, 'nr_start') and not hget(k, 'nr_replied_at') then
      -- The requester wrote a moment ago and opdesk-slo has not armed the
      -- clock yet: it is met at this answer once armed (arm.lua).
      redis.call('HSET', k, 'nr_replied_at', at)
    end
    outbox({kind = 'comment', ticket = id, comment = cid})
  elseif public and role == 'requester' then
    -- The assignee hears of it by mail (kind 'agent'), with a Reply-To that
    -- lets an answer by mail count as the agent's (opd_mail_trust.h).
    if hget(k, 'assignee') then outbox({kind = 'agent', ticket = id, comment = cid}) end
    -- Details still missing: the router reads "Label: value" lines.
    local missing = hget(k, 'missing')
    if missing and missing ~= '' then redis.call('ZADD', KEY.details_replies, at, id) end
    if hget(k, 'first_reply_at') and not hget(k, 'nr_start') then
      redis.call('HSET', k, 'nr_start', at)
      redis.call('HDEL', k, 'nr_met', 'nr_breached', 'nr_warned', 'nr_due', 'nr_state', 'nr_warn')
      redis.call('ZADD', KEY.slo_work, at, id)
    end
  end
  redis.call('HINCRBY', k, 'version', 1)
  redis.call('HSET', k, 'updated_at', at)
  emit('ticket.commented', {ticket_id = id, at = at, comment_id = cid, public = public, role = role})
  queue_refresh(id)
  return cid
end

-- Index of tickets by status, kept in step with the status field.
local function index_status(id, old, new, created)
  if old then redis.call('ZREM', KEY.idx_status(old), id) end
  if new then redis.call('ZADD', KEY.idx_status(new), created, id) end
end

-- A resolved ticket is reopened at 'at' (by a reply, or by update.lua): the
-- resolution clock goes on from where it stopped, and the time spent
-- resolved is recorded as a pause, so it does not count. opdesk-slo
-- computes the clock again. The caller sets the status.
local function resume_resolution(id, at)
  local k = K(id)
  local resolved_at = tonumber(hget(k, 'resolved_at')) or at
  redis.call('HDEL', k, 'resolved_at')
  local sent = hget(k, 'stdresp_sent')
  if sent and at - resolved_at <= 7 * 86400000 then
    for sr in string.gmatch(sent, '[^,]+') do
      redis.call('HINCRBY', KEY.stats_stdresp, sr .. '|reopened', 1)
    end
  end
  -- Open again, so not met: the next resolution is met anew (slo.met again,
  -- its met_at), also of a clock that breached and stays breached.
  local st = hget(k, 'res_state')
  if st == 'met' then redis.call('HSET', k, 'res_state', 'running') end
  if st == 'met' or st == 'breached' then redis.call('HDEL', k, 'res_met') end
  local pauses = hget(k, 'res_pauses')
  local span = resolved_at .. '-' .. at
  redis.call('HSET', k, 'res_pauses', pauses and (pauses .. ',' .. span) or span)
  redis.call('ZADD', KEY.slo_work, at, id)
end

-- A resolved ticket goes back to open because its requester replied.
local function reopen_by_reply(id, at, author)
  local k = K(id)
  local created = tonumber(hget(k, 'created_at')) or at
  redis.call('HSET', k, 'status', 'open')
  index_status(id, 'resolved', 'open', created)
  resume_resolution(id, at)
  hist(id, at, author, 'reopened', {by = 'reply'})
  emit('ticket.updated', {ticket_id = id, by = author, changes = {status = {'resolved', 'open'}}})
  emit('ticket.reopened', {ticket_id = id, by = author})
  queue_refresh(id)
end
