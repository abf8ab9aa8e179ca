-- Writes the router's decision, once per ticket.
-- ARGV: now, maxlen, id, team, category, priority, rule, standard_response,
-- tags (a JSON array of text, '' for none), assignee ('' for none)
-- Returns 1 when routed now, 0 when it was routed already or is gone.
local id, team, category, priority, rule, stdresp = ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8]
local tags, assignee = ARGV[9] or '', ARGV[10] or ''
if redis.call('ZREM', KEY.unrouted, id) == 0 then return 0 end
local k = K(id)
if redis.call('EXISTS', k) == 0 then return 0 end
-- Only the fields this script needs: the body may be large.
local got = redis.call('HMGET', k, 'created_at', 'req_email', 'no_ack', 'version')
local t = {created_at = got[1], req_email = got[2], no_ack = got[3]}
-- The version goes up by one in the same HSET (one redis.call less than HINCRBY).
local set = {'priority', priority, 'routed_at', NOW, 'team_since', NOW,
             'version', (tonumber(got[4]) or 0) + 1}
if team ~= '' then set[#set + 1] = 'team'; set[#set + 1] = team end
if category ~= '' then set[#set + 1] = 'category'; set[#set + 1] = category end
if rule ~= '' then set[#set + 1] = 'rule'; set[#set + 1] = rule end
if stdresp ~= '' then set[#set + 1] = 'stdresp'; set[#set + 1] = stdresp end
if tags ~= '' then set[#set + 1] = 'tags'; set[#set + 1] = tags end
if assignee ~= '' then set[#set + 1] = 'assignee'; set[#set + 1] = assignee end
if t.req_email and t.no_ack ~= '1' then set[#set + 1] = 'ack'; set[#set + 1] = '1' end
redis.call('HSET', k, unpack(set))
if rule ~= '' then redis.call('HINCRBY', KEY.stats_route, rule .. '|routed', 1) end
if team ~= '' then redis.call('ZADD', KEY.idx_team(team), tonumber(t.created_at) or NOW, id) end
redis.call('ZADD', KEY.slo_work, NOW, id)
local tag_list = tags ~= '' and cjson.decode(tags) or nil
hist(id, NOW, 'opdesk-router', 'routed', {team = nullable(team), category = nullable(category),
     priority = priority, rule = nullable(rule), tags = tag_list, assignee = nullable(assignee)})
emit('ticket.routed', {ticket_id = id, team = nullable(team), category = nullable(category),
     priority = priority, rule = nullable(rule), tags = tag_list, assignee = nullable(assignee)})
queue_refresh(id)
return 1
