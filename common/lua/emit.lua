-- Records one event that no ticket script emits (slo.burn from opdesk-slo):
-- into the durable history, exactly as prelude emit() does.
-- ARGV: now, maxlen, topic, the event as msgpack map bytes, and optionally
-- a key that marks the event as sent: when given, the event is recorded
-- only if the key did not exist, and the key is set to now in the same
-- atomic step (so an alert is published once, whatever crashes when).
-- Returns 1 recorded, 0 not (the key existed).
local topic, body, once = ARGV[3], ARGV[4], ARGV[5]
if once and once ~= '' then
  if not redis.call('SET', once, NOW, 'NX') then return 0 end
end
redis.call('XADD', KEY.events, 'MAXLEN', '~', MAXLEN, '*', 't', topic, 'm', body)
return 1
