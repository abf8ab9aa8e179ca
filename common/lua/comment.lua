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
  local created = tonumber(hget(k, 'created_at')) or NOW
  local resolved_at = tonumber(hget(k, 'resolved_at')) or NOW
  redis.call('HSET', k, 'status', 'open')
  redis.call('HDEL', k, 'resolved_at')
  index_status(id, 'resolved', 'open', created)
  if hget(k, 'res_state') == 'met' then
    redis.call('HSET', k, 'res_state', 'running')
    redis.call('HDEL', k, 'res_met')
  end
  local pauses = hget(k, 'res_pauses')
  local span = resolved_at .. '-' .. NOW
  redis.call('HSET', k, 'res_pauses', pauses and (pauses .. ',' .. span) or span)
  redis.call('ZADD', 'opd:slo:todo', NOW, id)
  hist(id, NOW, author, 'reopened', {by = 'reply'})
  emit('ticket.updated', {ticket_id = id, by = author, changes = {status = {'resolved', 'open'}}})
  emit('ticket.reopened', {ticket_id = id, by = author})
end
return {'ok', cid}
