-- Replaces the personal data of closed tickets, once each, in one atomic
-- step per call.
-- ARGV: now, maxlen, then per ticket six values: id, rule, fields_json (the
-- custom fields with the values of pii fields replaced, '' to leave them),
-- run (the run's number), pseudonym, period (the requester's pseudonym and
-- the year of its key, '' for none). A call may carry many tickets (the
-- anonymiser sends a batch per call, so that the script's setup and the
-- sorted-set writes are paid once per batch).
-- Returns, per ticket in order, {done, fields, comments, history, idx,
-- idem, ext, call, phone}: done 1, or 0 when not eligible (gone, not
-- closed, on hold, done already); then how many hash fields, comments and
-- history entries changed, index entries went, and keys of each global
-- store that named the ticket went (unlink).
-- What is personal, and what becomes of it, is PERSONAL (schema.lua, from
-- proto/schema.yaml): each field is replaced by its text, deleted, or (text)
-- kept with every name, email address, phone number and IP address inside
-- replaced by a marker. The same is done to comments and history entries.
-- The ticket then waits in opd:anon:pending until the sweep of the fixed
-- global keys (the outbox, the event stream:
-- services/anonymiser/opd_anon_sweep.c) has run for it.
-- Redis calls per ticket: HGETALL, ZREM/ZCARD of its requester index, one
-- DEL, one HSET, one HDEL, LRANGE of comments and history, LSET per changed
-- entry, RPUSH, XADD, and per message (unlink) HGET and GET (a DEL each
-- when they name the ticket); per batch: ZREM, ZADD, ZADD.

local MARK = {email = '[email removed]', phone = '[phone removed]', ip = '[ip removed]',
              name = '[name removed]'}

-- A Lua pattern matching s literally, letters in either case.
local function ci(s)
  return (string.gsub(s, '.', function (c)
    if string.match(c, '%a') then return '[' .. string.lower(c) .. string.upper(c) .. ']' end
    if string.match(c, '%w') then return c end
    return '%' .. c
  end))
end

-- The ticket being done (its hash), and what it says about the person:
-- name words, the digits of the phone number, the values of pii fields,
-- the address's local part; the patterns made of them. Set by learn().
local t, names, phones, values, name_pats, value_pats

local function add_name(n)
  if n and #n >= 2 and not string.match(n, '^%d+$') then names[#names + 1] = n end
end

local function local_part(addr)
  local lp = string.match(addr or '', '^([^@]+)@')
  if not lp then return end
  for w in string.gmatch(lp, '[^%.%-_+%d]+') do if #w >= 3 then add_name(w) end end
end

local function learn(fields)
  names, phones, values, name_pats, value_pats = {}, {}, {}, {}, {}
  if t.req_name and t.req_name ~= '' then
    add_name(t.req_name)
    for w in string.gmatch(t.req_name, '[^%s%.,;:()"\']+') do add_name(w) end
  end
  local_part(t.req_email)
  if t.req_phone then phones[#phones + 1] = string.gsub(t.req_phone, '%D', '') end
  if fields ~= '' and t.fields then
    local ok, old = pcall(cjson.decode, t.fields)
    local ok2, new = pcall(cjson.decode, fields)
    if ok and ok2 and type(old) == 'table' and type(new) == 'table' then
      for name, v in pairs(old) do
        if type(v) == 'string' and new[name] ~= v and #v >= 3 then values[#values + 1] = v end
      end
    end
  end
  table.sort(names, function (a, b) return #a > #b end)
  -- The patterns, made once per ticket: each name as a whole word in any case.
  for i, w in ipairs(names) do name_pats[i] = '%f[%w]' .. ci(w) .. '%f[%W]' end
  for i, v in ipairs(values) do value_pats[i] = ci(v) end
end

local function is_ipv4(s)
  for o in string.gmatch(s, '%d+') do if #o > 3 or tonumber(o) > 255 then return false end end
  return true
end

local function is_ipv6(s)
  local _, colons = string.gsub(s, ':', '')
  if colons < 2 or (colons < 3 and not string.find(s, '::', 1, true)) then return false end
  for g in string.gmatch(s, '[^:]+') do if #g > 4 then return false end end
  return string.find(s, '%x') ~= nil
end

-- A run of digits and separators is a phone number when it starts with +
-- and has 7 digits or more, starts with 0 and has 9 or more, or ends with
-- the digits of the ticket's own number.
local function is_phone(s)
  local d = string.gsub(s, '%D', '')
  if #d < 7 then return false end
  if string.sub(s, 1, 1) == '+' or (string.match(s, '^%(?0') and #d >= 9) then return true end
  for _, p in ipairs(phones) do
    local n = math.min(#d, #p, 9)
    if n >= 7 and string.sub(d, -n) == string.sub(p, -n) then return true end
  end
  return false
end

local function redact(s)
  if type(s) ~= 'string' or s == '' then return s, 0 end
  local n, c = 0, 0
  for _, p in ipairs(value_pats) do
    s, c = string.gsub(s, p, '[removed]'); n = n + c
  end
  -- Each pattern only where it can match at all (most history details are
  -- short words and numbers).
  if string.find(s, '@', 1, true) then
    s, c = string.gsub(s, '[%w%.%%+_-]+@[%w-]+%.[%w%.-]*%w', MARK.email); n = n + c
  end
  if string.find(s, ':[%x:]*:') then
    s, c = string.gsub(s, '%f[%w%.][%x:]*:[%x:]+', function (m)
      if is_ipv6(m) then return MARK.ip end
    end); n = n + c
  end
  if string.find(s, '%d%.%d+%.%d+%.%d') then
    s, c = string.gsub(s, '%f[%w%.]%d+%.%d+%.%d+%.%d+%f[^%w%.]', function (m)
      if is_ipv4(m) then return MARK.ip end
    end); n = n + c
  end
  local _, digits = string.gsub(s, '%d', '')
  if digits >= 7 then
    s, c = string.gsub(s, '%f[%w+(]%+?%(?%d[%d%s%.%-%(%)]*%d', function (m)
      if is_phone(m) then return MARK.phone end
    end); n = n + c
  end
  for _, p in ipairs(name_pats) do
    s, c = string.gsub(s, p, MARK.name); n = n + c
  end
  return s, n
end

-- Whether an actor or author names a person rather than an agent or a
-- service: an address, a number, or any of the ticket's known values.
local function is_person(a)
  if type(a) ~= 'string' or a == '' then return false end
  if string.find(a, '@', 1, true) or a == t.req_name or a == t.req_phone then return true end
  local _, n = redact(a)
  return n > 0
end

-- Every string inside a decoded JSON value, redacted; an actor or author
-- that is an address becomes 'requester'.
local function redact_all(v)
  local n = 0
  if type(v) == 'string' then return redact(v) end
  if type(v) == 'table' then
    for key, x in pairs(v) do
      local c
      v[key], c = redact_all(x)
      n = n + c
    end
  end
  return v, n
end

-- The requester's index entry goes; with the address's last ticket, its
-- time zone (portal /settings) goes too. Returns how many entries went and
-- the keys to delete.
local function unindex(id, dels)
  if not t.req_email then return 0 end
  local addr = string.lower(t.req_email)
  local n = redis.call('ZREM', KEY.idx_req(addr), id)
  if redis.call('ZCARD', KEY.idx_req(addr)) == 0 then dels[#dels + 1] = KEY.req_tz(addr) end
  return n
end

-- The phone call an external id of the phone channel names
-- (call:CALL:missed, call:CALL:voicemail, call:CALL:note:NOTE).
local function call_of(x)
  return string.match(x, '^call:(.+):missed$') or string.match(x, '^call:(.+):voicemail$')
      or string.match(x, '^call:(.+):note:[^:]*$')
end

-- Whether a hash names ticket id in one of its fields.
local function names(key, id, ...)
  for _, v in ipairs(redis.call('HMGET', key, ...)) do
    if v == id then return true end
  end
  return false
end

-- The global keys that name the ticket, found from the ticket itself: the
-- idempotency and threading keys of its first message (channel,
-- external_id) and of each message threaded onto it (links), the phone
-- calls those name, the caller's number. Each goes when it still names
-- this ticket. Returns how many of each went: idem, ext, call, phone.
local function unlink(id)
  local msgs = {{t.channel, t.external_id}}
  if t.links then
    local ok, list = pcall(cjson.decode, t.links)
    if ok and type(list) == 'table' then
      for _, l in ipairs(list) do msgs[#msgs + 1] = l end
    end
  end
  local n = {0, 0, 0, 0}
  for _, m in ipairs(msgs) do
    local ch, x = m[1], m[2]
    if type(ch) == 'string' and type(x) == 'string' and x ~= '' then
      local ik, xk, call = KEY.idem(ch, x), KEY.ext(x), call_of(x)
      if hget(ik, 'id') == id then n[1] = n[1] + redis.call('DEL', ik) end
      if redis.call('GET', xk) == id then n[2] = n[2] + redis.call('DEL', xk) end
      if call and names(KEY.call(call), id, 'ticket', 'missed_ticket', 'voicemail_ticket', 'note_ticket') then
        n[3] = n[3] + redis.call('DEL', KEY.call(call))
      end
    end
  end
  if t.req_phone and names(KEY.phone(t.req_phone), id, 'last_ticket') then
    n[4] = redis.call('DEL', KEY.phone(t.req_phone))
  end
  return n
end

-- The hash: PERSONAL field by field, gathered into one HSET and one HDEL.
-- Returns how many fields changed.
local function personal(k, fields, set)
  local changed, del = 0, {}
  for _, p in ipairs(PERSONAL) do
    local v = t[p.field]
    if p.partly then
      if p.field == 'fields' and v then
        local ok, obj = pcall(cjson.decode, fields ~= '' and fields or v)
        if ok and type(obj) == 'table' then
          local _, c = redact_all(obj)
          if c > 0 or fields ~= '' then
            set[#set + 1] = p.field; set[#set + 1] = cjson.encode(obj); changed = changed + 1
          end
        end
      end
    elseif p.text then
      if v then
        local new = redact(v)
        if new ~= v then set[#set + 1] = p.field; set[#set + 1] = new; changed = changed + 1 end
      end
    elseif p.replace then
      if v ~= p.replace then set[#set + 1] = p.field; set[#set + 1] = p.replace; changed = changed + 1 end
    elseif v then
      del[#del + 1] = p.field; changed = changed + 1
    end
  end
  if #del > 0 then redis.call('HDEL', k, unpack(del)) end
  redis.call('HSET', k, unpack(set))
  return changed
end

-- Comments: the requester's words go; everyone else's keep their text with
-- the personal data inside replaced; an author that is an address goes.
local function comments(id)
  local ck, changed = KEY.comments(id), 0
  for i, raw in ipairs(redis.call('LRANGE', ck, 0, -1)) do
    local c = cjson.decode(raw)
    local n = 0
    if c.role == 'requester' then
      n = (c.body ~= '[removed]' or c.author ~= 'requester') and 1 or 0
      c.body = '[removed]'
      c.author = 'requester'
    else
      c.body, n = redact(c.body)
      if is_person(c.author) then c.author = 'requester'; n = n + 1 end
    end
    if n > 0 then redis.call('LSET', ck, i - 1, cjson.encode(c)); changed = changed + 1 end
  end
  return changed
end

-- History: the same for every entry; an actor that is an address (a
-- requester who replied by mail) becomes 'requester'.
local function history(id)
  local hk, changed = KEY.history(id), 0
  for i, raw in ipairs(redis.call('LRANGE', hk, 0, -1)) do
    local h = cjson.decode(raw)
    local n = 0
    if is_person(h.actor) then h.actor = 'requester'; n = 1 end
    local c
    h.details, c = redact_all(h.details)
    if n + c > 0 then redis.call('LSET', hk, i - 1, cjson.encode(h)); changed = changed + 1 end
  end
  return changed
end

-- One ticket; its numbers as the reply describes them.
local function one(id, rule, fields, run, pseudo, period)
  if pseudo ~= '' and redis.call('HGET', KEY.pseudo_destroyed, period) then pseudo = '' end
  local k = K(id)
  t = hgetall(k)
  if not t.id or t.status ~= 'closed' or t.anonymised == '1' or t.hold == '1' then return 0, 0, 0, 0, 0, 0, 0, 0, 0 end
  learn(fields)
  local gone = unlink(id)
  -- Unsent drafts of agents' replies go too.
  local dels = {KEY.drafts(id)}
  local idx = unindex(id, dels)
  redis.call('DEL', unpack(dels))
  -- Its attachment bodies: this ticket lets go of each; the anonymiser
  -- deletes a body once no ticket holds it (opd_anon_files.c).
  blob_refs('SREM', id, t.attachments)
  local set = {'anonymised', '1', 'anonymised_at', NOW, 'updated_at', NOW, 'anonymised_rule', rule,
               'anonymised_run', run}
  if pseudo ~= '' then
    for _, v in ipairs({'pseudonym', pseudo, 'pseudonym_period', period, 'privacy', 'pseudonymised'}) do
      set[#set + 1] = v
    end
    redis.call('ZADD', KEY.pseudo_period(period), NOW, id)
  else
    set[#set + 1] = 'privacy'; set[#set + 1] = 'anonymous'
  end
  local changed = personal(k, fields, set)
  local ncomments = comments(id)
  local nhist = history(id)
  hist(id, NOW, 'opdesk-anonymiser', 'anonymised', {rule = rule, run = run})
  -- The run's canary (opd_anon_canary.c) is never published.
  if t.canary ~= '1' then emit('ticket.anonymised', {ticket_id = id}) end
  return 1, changed, ncomments, nhist, idx, gone[1], gone[2], gone[3], gone[4]
end

local out, done, scored = {}, {}, {}
-- (The last ticket's pseudonym and period may be left out.)
for a = 3, #ARGV, 6 do
  local id = ARGV[a]
  local r = {one(id, ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], ARGV[a + 4] or '', ARGV[a + 5] or '')}
  for _, v in ipairs(r) do out[#out + 1] = v end
  if r[1] == 1 then
    done[#done + 1] = id
    scored[#scored + 1] = NOW; scored[#scored + 1] = id
  end
end
-- The sorted sets once for the whole batch.
if #done > 0 then
  redis.call('ZREM', KEY.closed, unpack(done))
  redis.call('ZADD', KEY.anonymised, unpack(scored))
  redis.call('ZADD', KEY.anon_pending, unpack(scored))
end
return out
