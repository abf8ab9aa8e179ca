-- Adds one attachment's metadata to a ticket (its body is already stored
-- under its SHA-256 by the caller, opd_blob).
-- ARGV: now, maxlen, id, by (the uploader's identity), meta (a JSON object:
-- name, content_type, size, sha256), max (the most attachments a ticket keeps).
-- Returns 1 added, 0 already there (that name and body), 2 no such ticket,
-- 3 closed, 4 anonymised, 5 full.
-- The history and a ticket.updated event (changes.attachments: the counts
-- before and after) say who added it; names stay out of the event.
local id, by, meta, max = ARGV[3], ARGV[4], cjson.decode(ARGV[5]), tonumber(ARGV[6])
local k = K(id)
local t = redis.call('HMGET', k, 'status', 'anonymised')
if not t[1] then return 2 end
if t[1] == 'closed' then return 3 end
if t[2] then return 4 end
local added, full = attachments_add(id, by, NOW, {meta}, max)
if added == 0 then return full and 5 or 0 end
redis.call('HSET', k, 'updated_at', NOW)
redis.call('HINCRBY', k, 'version', 1)
return 1
