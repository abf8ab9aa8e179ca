-- A notification job is finished. ARGV: now, maxlen, job (as taken), outcome
-- (sent|failed), ticket id ('' for none), detail, held response, held variable
-- (both '' unless an acknowledgement went out without its standard response)
local job, outcome, ticket, detail = ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local held, variable = ARGV[7] or '', ARGV[8] or ''
local removed = redis.call('LREM', KEY.outbox_busy, 1, job)
if ticket ~= '' and redis.call('EXISTS', K(ticket)) == 1 then
  local j = cjson.decode(job)
  if held ~= '' then
    hist(ticket, NOW, 'opdesk-notifier', 'standard_response_held',
         {response = held, variable = variable, sent_instead = 'plain acknowledgement'})
  end
  local sr = hget(K(ticket), 'stdresp')
  if outcome == 'sent' and j.kind == 'ack' and held == '' and sr and sr ~= '' then
    stdresp_sent(ticket, sr, 'automatic')
  end
  hist(ticket, NOW, 'opdesk-notifier', outcome == 'sent' and 'notification_sent' or 'notification_failed',
       {kind = j.kind, comment = j.comment, detail = nullable(detail)})
end
if held ~= '' then redis.call('INCR', KEY.stats_mail('stdresp_held')) end
if outcome == 'sent' then redis.call('INCR', KEY.stats_mail('mail_sent')) else redis.call('INCR', KEY.stats_mail('mail_failed')) end
return removed
