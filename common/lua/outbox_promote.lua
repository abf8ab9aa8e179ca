-- Moves retries that are due back to the ready queue. With ARGV[3] = 'start'
-- it first returns jobs left in 'busy' by a notifier that died (the one mail
-- in flight at a kill may go out twice; none is lost).
-- ARGV: now, maxlen, mode. Returns the number of jobs moved.
local moved = 0
if ARGV[3] == 'start' then
  while redis.call('RPOPLPUSH', KEY.outbox_busy, KEY.outbox_ready) do moved = moved + 1 end
end
local due = redis.call('ZRANGEBYSCORE', KEY.outbox_retry, '-inf', NOW, 'LIMIT', 0, 100)
for _, job in ipairs(due) do
  redis.call('ZREM', KEY.outbox_retry, job)
  redis.call('LPUSH', KEY.outbox_ready, job)
  moved = moved + 1
end
return moved
