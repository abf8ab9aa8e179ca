-- A notification job failed for now. ARGV: now, maxlen, job (as taken), job
-- as it will be retried (attempt counted), when to retry (ms)
redis.call('LREM', KEY.outbox_busy, 1, ARGV[3])
redis.call('ZADD', KEY.outbox_retry, tonumber(ARGV[5]), ARGV[4])
return 1
