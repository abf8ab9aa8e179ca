-- Records the requester's satisfaction rating of a resolved ticket (a
-- link of the resolution mail, services/web/portal_rating.c). ARGV: now,
-- maxlen, id, rating (good or bad), comment ('' none). A later rating
-- replaces the earlier one (decision 127). Returns 1 recorded, 2 no such
-- ticket, 3 anonymised (nothing recorded).
-- The comment is personal text: only on the ticket (rating_comment, which
-- the anonymiser removes); the history and the event say whether there
-- was one.
local id, rating, comment = ARGV[3], ARGV[4], ARGV[5]
local k = K(id)
local t = redis.call('HMGET', k, 'id', 'anonymised', 'rating')
if not t[1] then return 2 end
if t[2] == '1' then return 3 end
redis.call('HSET', k, 'rating', rating, 'rated_at', NOW, 'updated_at', NOW)
if comment ~= '' then
  redis.call('HSET', k, 'rating_comment', comment)
else
  redis.call('HDEL', k, 'rating_comment')
end
redis.call('HINCRBY', k, 'version', 1)
redis.call('ZADD', KEY.ratings, NOW, id)
local previous = t[3] or NULL
hist(id, NOW, 'requester', 'rated', {rating = rating, previous = previous, comment = comment ~= ''})
emit('ticket.rated', {ticket_id = id, rating = rating, previous = previous, comment = comment ~= ''})
return 1
