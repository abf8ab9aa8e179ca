-- Stores a new ticket, or a reply to an existing one, idempotently on
-- (channel, external_id).
-- ARGV: now, maxlen, prefix, channel, external_id, reply_to, author, then
-- field/value pairs of the ticket hash (pairs named '_...' are control
-- flags, see below). submitted_by, when given, is the name of the CURVE
-- client key the request came with (set by intake, never by the sender).
-- Returns {ticket_id, created (1/0), kind ('ticket'|'comment'|'repeat')}.
local prefix, channel, ext, reply_to, author = ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local idem = KEY.idem(channel, ext)
-- intake drops a Message-ID's angle brackets; an older desk stored them.
-- Only a Message-ID (it has an @) is looked for both ways: no second read
-- for other ids.
local function forms(x)
  if string.find(x, '@', 1, true) then return {x, '<' .. x .. '>'} end
  return {x}
end
local existing
for _, form in ipairs(forms(ext)) do existing = existing or hget(KEY.idem(channel, form), 'id') end
if existing then return {existing, 0, 'repeat'} end

local f = {}
for i = 8, #ARGV, 2 do f[ARGV[i]] = ARGV[i + 1] end
local at = tonumber(f.received_at) or NOW
-- Control pairs (names starting with '_') steer this script and are not
-- stored. _sender_check = '1': a reply is attached only when it comes from
-- the ticket's requester, one of its participants, or an agent
-- (_from_agent = '1'); from anyone else it opens a new ticket linked to the
-- one it named.
local sender_check, from_agent = f._sender_check == '1', f._from_agent == '1'
-- _agent_address = '1': the sender's address is an agent's, which nothing
-- proved (decision 184).
local agent_address = f._agent_address == '1'
f._sender_check, f._from_agent, f._agent_address = nil, nil, nil

local function sender_allowed(target)
  if not sender_check or from_agent then return true end
  local k = K(target)
  -- The requester by phone (E.164, as intake checked it) as well as by mail.
  local phone = f.req_phone or ''
  if phone ~= '' and hget(k, 'req_phone') == phone then return true end
  local sender = string.lower(f.req_email or '')
  if sender == '' then return false end
  if string.lower(hget(k, 'req_email') or '') == sender then return true end
  local parts = hget(k, 'participants')
  if parts then
    local ok, list = pcall(cjson.decode, parts)
    if ok and type(list) == 'table' then
      for _, p in ipairs(list) do
        if type(p) == 'string' and string.lower(p) == sender then return true end
      end
    else
      for p in string.gmatch(parts, '[^,%s]+') do
        if string.lower(p) == sender then return true end
      end
    end
  end
  return false
end

local function remember(id)
  redis.call('HSET', idem, 'id', id)
  redis.call('SET', KEY.ext(ext), id)
end

-- A reply's attachments join the ticket's list, at most 100 as intake
-- allows for one message (attachments_add, as attach.lua adds one).
local function attach_reply(target, at)
  if not f.attachments or f.attachments == '' then return end
  local ok, add = pcall(cjson.decode, f.attachments)
  if ok and type(add) == 'table' then attachments_add(target, author, at, add, 100) end
end

-- A message threaded onto ticket id: its keys are remembered, and the
-- ticket records them (links) so that anonymise.lua finds and deletes them
-- with the ticket, never by scanning the keyspace.
local function remember_reply(id)
  remember(id)
  add_link(id, channel, ext)
end

if reply_to ~= '' then
  local target = nil
  if redis.call('EXISTS', K(reply_to)) == 1 then
    target = reply_to
  elseif string.find(reply_to, '^%w+%-%d+$') and redis.call('EXISTS', K(string.upper(reply_to))) == 1 then
    target = string.upper(reply_to)  -- a ticket id typed in lower case: opd-42
  end
  for _, form in ipairs(forms(reply_to)) do
    if not target then target = hget(KEY.idem(channel, form), 'id') end
    if not target then
      local any = redis.call('GET', KEY.ext(form))
      if any then target = any end
    end
  end
  if target then
    local status = hget(K(target), 'status')
    local open = status and status ~= 'closed'
    local allowed = open and sender_allowed(target)
    if allowed or (open and agent_address) then
      -- An agent answering by mail speaks as an agent: the comment meets the
      -- clocks and goes out to the requester like any public agent comment.
      -- An agent's address that nothing proved (a From header is easily
      -- forged, decision 33) writes an internal note under that address,
      -- which staff read and the requester never gets; it meets no clock.
      local role = (from_agent or not allowed) and 'agent' or 'requester'
      add_comment(target, at, author, role, allowed, f.body or '', nil)
      attach_reply(target, at)
      if allowed and status == 'resolved' and not from_agent then reopen_by_reply(target, at, author) end
      remember_reply(target)
      return {target, 0, 'comment'}
    end
    if status then f.linked_to = target end
  end
end

local n = redis.call('INCR', KEY.seq)
local id = prefix .. '-' .. n
f.id = id
f.status = f.status or 'new'
f.created_at = NOW
f.updated_at = NOW
f.version = 1
f.ncomments = 0
local flat = {}
for key, v in pairs(f) do
  flat[#flat + 1] = key
  flat[#flat + 1] = v
end
redis.call('HSET', K(id), unpack(flat))
blob_refs('SADD', id, f.attachments)
remember(id)
redis.call('ZADD', KEY.unrouted, NOW, id)
redis.call('ZADD', KEY.idx_all, NOW, id)
index_status(id, nil, f.status, NOW)
if f.req_email then redis.call('ZADD', KEY.idx_req(string.lower(f.req_email)), NOW, id) end
hist(id, NOW, author, 'created', {channel = channel, linked_to = f.linked_to, submitted_by = f.submitted_by})
if f.linked_to then hist(f.linked_to, NOW, author, 'follow_up', {ticket = id}) end
emit('ticket.created', {ticket_id = id, channel = channel, priority = nullable(f.priority), kind = f.kind})
-- A new ticket without a team that is not resolved is in no team queue and
-- not in opd:resolved: queue_refresh would read it back only to find that.
if f.team or f.status == 'resolved' then queue_refresh(id) end
return {id, 1, 'ticket'}
