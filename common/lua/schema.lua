-- Generated from proto/schema.yaml by proto/gen.py. Do not edit: edit the schema and run the generator.
-- Prepended to every script, before prelude.lua (common/embed_lua.cmake).

-- The SLO clocks: short id (hash fields, members) -> long name (events).
local CLOCKS = {'fr', 'nr', 'res'}
local SLO_NAMES = {fr = 'first_response', nr = 'next_reply', res = 'resolution'}

-- Redis keys (proto/keys.md): a string, or a function of the parameters.
local KEY = {
  seq = 'opd:seq',
  ticket = function (id) return 'opd:t:' .. id end,
  comments = function (id) return 'opd:t:' .. id .. ':c' end,
  history = function (id) return 'opd:t:' .. id .. ':h' end,
  drafts = function (id) return 'opd:t:' .. id .. ':d' end,
  idem = function (channel, external_id) return 'opd:idem:' .. channel .. ':' .. external_id end,
  ext = function (external_id) return 'opd:ext:' .. external_id end,
  unrouted = 'opd:unrouted',
  slo_work = 'opd:slo:work',
  timers = 'opd:timers',
  slo_done = function (policy, slo, outcome) return 'opd:slo:done:' .. policy .. ':' .. slo .. ':' .. outcome end,
  slo_measure = 'opd:slo:measure',
  slo_risk = 'opd:slo:risk',
  slo_burn = function (policy, slo, window) return 'opd:slo:burn:' .. policy .. ':' .. slo .. ':' .. window end,
  stats_slo = 'opd:stats:slo',
  stats_slo_hist = 'opd:stats:slo:hist',
  stats_slo_gauges = 'opd:stats:slo:gauges',
  events = 'opd:events',
  outbox_ready = 'opd:outbox:ready',
  outbox_busy = 'opd:outbox:busy',
  outbox_retry = 'opd:outbox:retry',
  outbox_seq = 'opd:outbox:seq',
  closed = 'opd:closed',
  anonymised = 'opd:anonymised',
  anon_pending = 'opd:anon:pending',
  anon_seq = 'opd:anon:seq',
  anon_run = function (run) return 'opd:anon:run:' .. run end,
  pseudo_period = function (period) return 'opd:pseudo:period:' .. period end,
  pseudo_destroyed = 'opd:pseudo:destroyed',
  anon_runs = 'opd:anon:runs',
  idx_all = 'opd:idx:all',
  idx_status = function (status) return 'opd:idx:status:' .. status end,
  idx_team = function (team) return 'opd:idx:team:' .. team end,
  idx_req = function (email) return 'opd:idx:req:' .. email end,
  queue_due = function (team) return 'opd:q:due:' .. team end,
  count_team = function (team) return 'opd:count:team:' .. team end,
  resolved = 'opd:resolved',
  stats_mail = function (counter) return 'opd:stats:' .. counter end,
  stats_stdresp = 'opd:stats:stdresp',
  stats_route = 'opd:stats:route',
  webhook_cursor = function (index) return 'opd:notifier:webhook:' .. index .. ':cursor' end,
  mail_tries = function (box, uidvalidity, uid) return 'opd:mail:tries:' .. box .. ':' .. uidvalidity .. ':' .. uid end,
  rate_mail = function (sha256) return 'opd:rate:mail:' .. sha256 end,
  call = function (call_id) return 'opd:call:' .. call_id end,
  phone = function (e164) return 'opd:phone:' .. e164 end,
  phone_cursor = 'opd:phone:cursor',
  rate_web = function (kind, hash) return 'opd:rate:web:' .. kind .. ':' .. hash end,
  session = function (sha256) return 'opd:session:' .. sha256 end,
  signin = function (sha256) return 'opd:signin:' .. sha256 end,
  alive = function (name) return 'opd:alive:' .. name end,
  rota_abs = function (id) return 'opd:rota:abs:' .. id end,
  rota_abs_seq = 'opd:rota:abs:seq',
  rota_abs_end = 'opd:rota:abs:end',
  rota_abs_agent = function (agent) return 'opd:rota:abs:agent:' .. agent end,
  rota_ovr = function (id) return 'opd:rota:ovr:' .. id end,
  rota_ovr_seq = 'opd:rota:ovr:seq',
  rota_ovr_end = 'opd:rota:ovr:end',
  rota_feed = function (id) return 'opd:rota:feed:' .. id end,
  rota_feed_token = function (sha256) return 'opd:rota:feed:token:' .. sha256 end,
  rota_feed_seq = 'opd:rota:feed:seq',
  rota_gap = function (team, from, to) return 'opd:rota:gap:' .. team .. ':' .. from .. ':' .. to end,
  rota_gap_begun = function (team, from, to) return 'opd:rota:gap:' .. team .. ':' .. from .. ':' .. to .. ':begun' end,
  rota_gaps = function (team) return 'opd:rota:gaps:' .. team end,
}

-- Set members: MEMBER.x(parts...) makes one, MEMBER.x_parse(text) returns its
-- parts (nil when malformed); the id is what precedes the last separators.
local MEMBER = {
  timer = function (id, clock, kind) return id .. '|' .. clock .. '|' .. kind end,
  timer_parse = function (text) return string.match(text, '^(.+)|(%a+)|(%a)$') end,
  risk = function (id, clock) return id .. '|' .. clock end,
  risk_parse = function (text) return string.match(text, '^(.+)|(%a+)$') end,
  done = function (id, due) return id .. '|' .. due end,
  done_parse = function (text) return string.match(text, '^(.+)|(%d*)$') end,
  measure = function (id, clock, met) return id .. '|' .. clock .. '|' .. met end,
  measure_parse = function (text) return string.match(text, '^(.+)|(%a+)|(%d*)$') end,
}

-- Personal fields of the ticket hash: replace = the new text, or nil to delete.
-- partly: only some values are personal; the caller (C) decides which.
local PERSONAL = {
  {field = 'external_id', text = true},
  {field = 'req_name', replace = 'anonymised'},
  {field = 'req_email'},
  {field = 'req_phone'},
  {field = 'subject', text = true},
  {field = 'body', replace = '[removed]'},
  {field = 'fields', partly = true},
  {field = 'attachments'},
  {field = 'participants'},
}
