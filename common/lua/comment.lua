-- Adds a comment to a ticket.
-- ARGV: now, maxlen, id, author, role (agent|requester|system), public (1/0), body, standard_response
-- Returns {'ok', comment_id} or {'not_found'} or {'closed'}.
local id, author, role, public, body, stdresp = ARGV[3], ARGV[4], ARGV[5], ARGV[6] == '1', ARGV[7], ARGV[8]
local k = K(id)
local status = hget(k, 'status')
if not status then return {'not_found'} end
if status == 'closed' then return {'closed'} end
local cid = add_comment(id, NOW, author, role, public, body, stdresp)
if public and role == 'requester' and status == 'resolved' then
  reopen_by_reply(id, NOW, author)
end
return {'ok', cid}
