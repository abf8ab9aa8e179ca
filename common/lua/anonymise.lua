-- Replaces the personal data of one closed ticket, once.
-- ARGV: now, maxlen, id, rule, fields_json (the custom fields with personal
-- values replaced, '' to leave them)
-- Returns 1 done, 0 not eligible (gone, not closed, done already).
local id, rule, fields = ARGV[3], ARGV[4], ARGV[5]
local k = K(id)
local t = hgetall(k)
if not t.id or t.status ~= 'closed' or t.anonymised == '1' then return 0 end
if t.req_email then redis.call('ZREM', 'opd:idx:req:' .. string.lower(t.req_email), id) end
redis.call('HDEL', k, 'req_email', 'req_phone')
redis.call('HSET', k, 'req_name', 'anonymised', 'body', '[removed]', 'anonymised', '1',
           'anonymised_at', NOW, 'updated_at', NOW)
if fields ~= '' then redis.call('HSET', k, 'fields', fields) end
-- Comments hold what people wrote: the requester's words go, agents' notes
-- keep their text but lose any author that is a requester address.
local n = redis.call('LLEN', k .. ':c')
for i = 0, n - 1 do
  local c = cjson.decode(redis.call('LINDEX', k .. ':c', i))
  if c.role == 'requester' then
    c.body = '[removed]'
    c.author = 'requester'
    redis.call('LSET', k .. ':c', i, cjson.encode(c))
  end
end
redis.call('ZREM', 'opd:closed', id)
redis.call('ZADD', 'opd:anonymised', NOW, id)
hist(id, NOW, 'opdesk-anonymiser', 'anonymised', {rule = rule})
emit('ticket.anonymised', {ticket_id = id})
return 1
