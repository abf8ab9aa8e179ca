-- Replaces the personal data of one closed ticket, once.
-- ARGV: now, maxlen, id, rule, fields_json (the custom fields with personal
-- values replaced, '' to leave them)
-- Returns 1 done, 0 not eligible (gone, not closed, done already).
-- What is personal, and what becomes of it, is PERSONAL (schema.lua, from
-- proto/schema.yaml): each field is replaced by its text or deleted; the
-- custom fields are personal only in part, and the caller says how.
local id, rule, fields = ARGV[3], ARGV[4], ARGV[5]
local k = K(id)
local t = hgetall(k)
if not t.id or t.status ~= 'closed' or t.anonymised == '1' then return 0 end
if t.req_email then redis.call('ZREM', KEY.idx_req(string.lower(t.req_email)), id) end
for _, p in ipairs(PERSONAL) do
  if p.partly then
    if p.field == 'fields' and fields ~= '' then redis.call('HSET', k, p.field, fields) end
  elseif p.replace then
    redis.call('HSET', k, p.field, p.replace)
  else
    redis.call('HDEL', k, p.field)
  end
end
redis.call('HSET', k, 'anonymised', '1', 'anonymised_at', NOW, 'updated_at', NOW)
-- Comments hold what people wrote: the requester's words go, agents' notes
-- keep their text but lose any author that is a requester address.
local n = redis.call('LLEN', KEY.comments(id))
for i = 0, n - 1 do
  local c = cjson.decode(redis.call('LINDEX', KEY.comments(id), i))
  if c.role == 'requester' then
    c.body = '[removed]'
    c.author = 'requester'
    redis.call('LSET', KEY.comments(id), i, cjson.encode(c))
  end
end
-- Unsent drafts of agents' replies go too.
redis.call('DEL', KEY.drafts(id))
redis.call('ZREM', KEY.closed, id)
redis.call('ZADD', KEY.anonymised, NOW, id)
hist(id, NOW, 'opdesk-anonymiser', 'anonymised', {rule = rule})
emit('ticket.anonymised', {ticket_id = id})
return 1
