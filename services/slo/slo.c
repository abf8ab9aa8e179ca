/*  slo: see slo.h.

    Deadlines live in Redis, never only here: the due and warning times are
    fields of the ticket and members of opd:timers, so a restart loses
    nothing, and clocks that came due while the service was down fire on the
    first pass. fire.lua removes a timer as it fires it and checks the
    clock's state, so no timer fires twice, whatever crashes when.

    One reconcile batch takes up to BATCH ids from opd:slo:work, reads the
    fields the clocks depend on with one pipeline of HMGET (never the body), computes their clocks, and writes
    them with one pipeline of arm.lua. arm.lua applies a result only when the
    ticket's version is still the one read; otherwise (-1) the id stays in
    the work set and the next sweep computes it again. */
#include "slo.h"
#include "opd_rota_assign.h"
#include "opd_rota_store.h"
#include "opd_intake.h"
#include "opd_log.h"
#include "opd_redis.h"
#include "opd_slo_burn.h"
#include "opd_slo_gauges.h"
#include "opd_slo_measure.h"
#include "opd_store.h"
#include "opd_util.h"
#include <assert.h>
#include <czmq.h>
#include <math.h>
#include <msgpack.h>
#include <stdlib.h>
#include <string.h>

#define BATCH        200
#define SWEEP_MS     200
#define TIMER_MAX_MS 100   //  longest sleep between two looks at opd:timers
#define GATHER_MS    2     //  a doorbell's sweep waits this long for the tickets behind it
#define FIRE_BATCH   500
#define SWEEP_BUDGET_MS 50
#define STATS_MS     60000
#define BURN_MS      30000  //  error budgets and burn rates are checked this often
#define BURN_SOON_MS 1000   //  ... or this soon after a breach fired
#define MEASURE_MAX  500    //  met clocks turned into histogram counts per sweep
#define GAUGES_MS    30000  //  a pass counting running and paused clocks starts this often,
#define GAUGES_SMALL_MS 2000 //  or this often when the last pass read few pending tickets
#define GAUGES_FEW_PENDING 1000

typedef struct {
    opd_service_t *svc;
    opd_redis_t *redis;
    zsock_t *sub;
    int64_t next_timer;   //  when the next timer is due (ms), 0 none, -1 not known (Redis failed)
    int64_t last_look;    //  monotonic ms of the last look at opd:timers
    long armed, retried, gone, fired, skipped, failed;
    int64_t late_max;     //  the latest a timer fired since the last stats line, ms
    long breaches;        //  breaches fired since the last burn check
    long burns;           //  slo.burn alerts published
    int64_t last_burn;    //  monotonic ms of the last burn check
    int64_t last_gauges;  //  monotonic ms when the last gauges pass started
    int64_t rota_peek;    //  monotonic ms of the last look for the next gap's start
    int64_t gap_begins;   //  when the soonest gap announced ahead begins (ms), 0: none
    long unrouted_at;     //  where the next look at opd:unrouted starts (s_unrouted)
    int64_t gauges_every; //  GAUGES_MS or GAUGES_SMALL_MS, after the size of the last pass
} slo_t;

//  --- Redis ---------------------------------------------------------------

static void
s_redis_failed (slo_t *self, const char *what)
{
    opd_redis_failed (self->redis, what, NULL);
}

static void
s_redis_ok (slo_t *self)
{
    opd_redis_recovered (self->redis);
}

//  The arm.lua call for one ticket.
static void
s_arm_call (slo_t *self, const char *id, const slo_ticket_t *t, int64_t now, opd_store_call_t *c)
{
    const opd_config_t *cfg = self->svc->cfg;
    if (!t->version) {
        //  Gone: arm.lua takes it out of the work set.
        opd_store_arm_call (c, cfg, now, id, "", "", NULL, 0);
        return;
    }
    const opd_policy_t *p;
    slo_clock_t clocks[OPD_CLOCK_COUNT];
    opd_store_clock_t arm[OPD_CLOCK_COUNT];
    size_t n = slo_clocks (cfg, t, now, &p, clocks);
    for (size_t i = 0; i < n; i++)
        arm[i] = (opd_store_clock_t) {clocks[i].clock, clocks[i].due, clocks[i].warn,
                                      opd_store_policy_target (p, clocks[i].clock), clocks[i].paused};
    opd_store_arm_call (c, cfg, now, id, t->version, p ? p->name : "", arm, n);
    opd_debug ("computed ticket=%s policy=%s clocks=%zu", id, p ? p->name : "-", n);
}

//  One reconcile batch. Returns the number of ids taken (0 when the work set
//  is empty) or -1 when Redis failed; *progress counts the ids that left it.
static int
s_batch (slo_t *self, int *progress)
{
    redisReply *ids = opd_store_slo_work (self->redis, BATCH);
    if (!ids) {
        s_redis_failed (self, "sweep");
        return -1;
    }
    s_redis_ok (self);
    if (ids->type != REDIS_REPLY_ARRAY || ids->elements == 0) {
        freeReplyObject (ids);
        return 0;
    }
    size_t n = ids->elements;
    int rc = (int) n;
    //  Read every ticket (the fields the clocks depend on) with one pipeline.
    for (size_t i = 0; i < n; i++) {
        if (slo_ticket_append (self->redis, opd_reply_str (ids, i))) {
            s_redis_failed (self, "read");
            freeReplyObject (ids);
            return -1;
        }
    }
    redisReply **tickets = opd_calloc (n, sizeof (redisReply *));
    for (size_t i = 0; i < n; i++) {
        tickets[i] = opd_redis_get_reply (self->redis);
        if (!tickets[i]) {
            rc = -1;
            break;
        }
    }
    //  Compute every ticket's clocks and write them with one pipeline.
    int64_t now = opd_now_ms ();
    size_t queued = 0;
    for (size_t i = 0; rc > 0 && i < n; i++) {
        const char *id = opd_reply_str (ids, i);
        slo_ticket_t t;
        slo_ticket_parse_fields (&t, tickets[i]);
        opd_store_call_t c;
        s_arm_call (self, id ? id : "", &t, now, &c);
        if (opd_store_call_append (self->redis, &c) == 0)
            queued++;
        else
            rc = -1;
        opd_store_call_free (&c);
    }
    for (size_t i = 0; i < queued; i++) {
        redisReply *r = opd_redis_get_reply (self->redis);
        if (!r) {
            rc = -1;
            break;
        }
        int result;
        if (opd_store_arm_reply (r, &result)) {
            self->failed++;
            opd_error ("not armed ticket=%s", opd_reply_str (ids, i));
        }
        else if (result == 1) {
            self->armed++;
            (*progress)++;
        }
        else if (result == 0) {
            self->gone++;
            (*progress)++;
        }
        else
            self->retried++;
        freeReplyObject (r);
    }
    for (size_t i = 0; i < n; i++)
        if (tickets[i])
            freeReplyObject (tickets[i]);
    free (tickets);
    freeReplyObject (ids);
    if (rc < 0)
        s_redis_failed (self, "arm");
    return rc;
}

//  Reconciles until the work set is empty, Redis fails, or a batch makes no
//  progress (tickets changing meanwhile: the next sweep tries again).
//  Returns true when it stopped after SWEEP_BUDGET_MS with work left, so that
//  timers never wait behind a long backlog.
static bool
s_sweep (slo_t *self)
{
    int64_t until = opd_mono_ms () + SWEEP_BUDGET_MS;
    while (!opd_service_stopping ()) {
        int progress = 0;
        int n = s_batch (self, &progress);
        if (n < BATCH || progress == 0)
            return false;
        if (opd_mono_ms () >= until)
            return true;
    }
    return false;
}

//  One due member of opd:timers (the schema's timer member: ID|CLOCK|w or b).
typedef struct {
    const char *member;
    opd_member_timer_t t;
    int64_t at;            //  its score: when it was due to fire
    redisReply *ticket;    //  a warning's ticket (slo_ticket_append), for its elapsed ratio
    bool bad;              //  not of that form: dropped
} due_t;

//  Fires one batch of due timers with two pipelines: the tickets of the
//  warnings (the fields of slo_ticket_t, for their elapsed ratio), then fire.lua for every
//  member. Returns the number of members taken, or -1 when Redis failed.
static int
s_fire_batch (slo_t *self, const redisReply *due)
{
    size_t n = due->type == REDIS_REPLY_ARRAY ? due->elements / 2 : 0;
    if (n == 0)
        return 0;
    due_t *d = opd_calloc (n, sizeof *d);
    int rc = (int) n;
    size_t reads = 0;
    for (size_t i = 0; i < n && rc > 0; i++) {
        const char *member = opd_reply_str (due, 2 * i);
        const char *score = opd_reply_str (due, 2 * i + 1);
        d[i].member = member;
        d[i].at = score ? (int64_t) strtod (score, NULL) : 0;
        if (!member || opd_member_timer_parse (member, strlen (member), &d[i].t)) {
            d[i].member = NULL;
            d[i].bad = member != NULL;
            continue;
        }
        if (d[i].t.kind == 'w') {
            if (slo_ticket_append (self->redis, d[i].t.id))
                rc = -1;
            else
                reads++;
        }
    }
    for (size_t i = 0, k = 0; rc > 0 && k < reads; i++) {
        if (!d[i].member || d[i].t.kind != 'w')
            continue;
        k++;
        if (!(d[i].ticket = opd_redis_get_reply (self->redis)))
            rc = -1;
    }
    int64_t now = opd_now_ms ();
    size_t fires = 0;
    for (size_t i = 0; rc > 0 && i < n; i++) {
        if (!d[i].member)
            continue;
        double ratio = 1;
        if (d[i].t.kind == 'w') {
            slo_ticket_t t;
            slo_ticket_parse_fields (&t, d[i].ticket);
            ratio = slo_elapsed_ratio (self->svc->cfg, &t, d[i].t.clock, now);
        }
        opd_store_call_t c;
        opd_store_fire_call (&c, self->svc->cfg, now, &d[i].t, ratio);
        if (opd_store_call_append (self->redis, &c))
            rc = -1;
        else
            fires++;
        opd_store_call_free (&c);
    }
    for (size_t i = 0, k = 0; rc > 0 && k < fires; i++) {
        if (!d[i].member)
            continue;
        k++;
        redisReply *r = opd_redis_get_reply (self->redis);
        if (!r) {
            rc = -1;
            break;
        }
        const char *what = d[i].t.kind == 'w' ? "warning" : "breach";
        int fired = 0;
        if (opd_store_fire_reply (r, &fired)) {
            self->failed++;
            opd_error ("not fired ticket=%s", d[i].t.id);
        }
        else if (fired == 1) {
            self->fired++;
            if (d[i].t.kind == 'b')
                self->breaches++;
            int64_t late = now - (d[i].at ? d[i].at : now);
            if (late > self->late_max)
                self->late_max = late;
            if (late > 1000)
                opd_warn ("fired late ticket=%s clock=%s kind=%s late_ms=%lld", d[i].t.id, opd_clock_ids[d[i].t.clock], what,
                          (long long) late);
            else
                opd_debug ("fired ticket=%s clock=%s kind=%s late_ms=%lld", d[i].t.id, opd_clock_ids[d[i].t.clock], what,
                           (long long) late);
        }
        else
            self->skipped++;
        freeReplyObject (r);
    }
    for (size_t i = 0; i < n; i++) {
        if (d[i].ticket)
            freeReplyObject (d[i].ticket);
        if (d[i].bad && rc > 0) {
            opd_warn ("bad timer member dropped");
            opd_store_timer_drop (self->redis, opd_reply_str (due, 2 * i));
        }
    }
    free (d);
    return rc;
}

//  Fires every due timer. Returns the instant of the next timer (ms), 0 when
//  there is none, or -1 when Redis failed.
static int64_t
s_fire (slo_t *self)
{
    while (true) {
        int64_t now = opd_now_ms ();
        redisReply *due = opd_store_timers_due (self->redis, now, FIRE_BATCH);
        if (!due) {
            s_redis_failed (self, "timers");
            return -1;
        }
        s_redis_ok (self);
        int n = s_fire_batch (self, due);
        freeReplyObject (due);
        if (n < 0) {
            s_redis_failed (self, "fire");
            return -1;
        }
        if (n < FIRE_BATCH)
            break;
    }
    int64_t at = 0;
    if (opd_store_timer_next (self->redis, &at) == -1) {
        s_redis_failed (self, "timers");
        return -1;
    }
    return at;
}

//  Fires the timers that came due, when one may have: the next one known is
//  due, this loop armed tickets (only opdesk-slo adds timers), or
//  TIMER_MAX_MS passed since the last look. Looking on every turn of the
//  loop would cost two Redis round trips for every doorbell.
static void
s_timers (slo_t *self, long armed_before)
{
    if (opd_redis_is_down (self->redis)) {
        self->next_timer = -1;
        return;
    }
    int64_t mono = opd_mono_ms ();
    bool look = self->next_timer < 0 || self->armed != armed_before || mono - self->last_look >= TIMER_MAX_MS
                || (self->next_timer > 0 && opd_now_ms () >= self->next_timer);
    if (!look)
        return;
    self->last_look = mono;
    self->next_timer = s_fire (self);
}

//  After a reload, the clocks that are running are computed again, so that
//  changed targets and calendars apply to them too.
static void
s_requeue_running (slo_t *self)
{
    redisReply *r = opd_store_timers_all (self->redis);
    if (!r) {
        s_redis_failed (self, "requeue");
        return;
    }
    int64_t now = opd_now_ms ();
    size_t queued = 0;
    for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
        const char *member = opd_reply_str (r, i);
        opd_member_timer_t t;
        if (!member || opd_member_timer_parse (member, strlen (member), &t))
            continue;
        if (opd_store_slo_work_append (self->redis, t.id, now) == 0)
            queued++;
    }
    for (size_t i = 0; i < queued; i++) {
        redisReply *x = opd_redis_get_reply (self->redis);
        if (!x)
            break;
        freeReplyObject (x);
    }
    freeReplyObject (r);
}

//  --- Measuring: error budgets, burn-rate alerts, histograms, gauges -------

//  Packs one slo.burn event (proto/README.md) into buf.
static void
s_pack_burn (msgpack_sbuffer *buf, const opd_config_t *cfg, const opd_slo_burn_t *b, bool fast, int64_t now)
{
    int64_t window;
    opd_burn_alert_t fa, sa;
    opd_slo_burn_settings (cfg, &window, &fa, &sa);
    msgpack_packer pk;
    msgpack_packer_init (&pk, buf, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, 10);
    opd_pack_kv_int (&pk, "v", 1);
    opd_pack_kv_str (&pk, "type", OPD_EV_SLO_BURN);
    opd_pack_kv_int (&pk, "at", now);
    opd_pack_kv_str (&pk, "policy", b->policy);
    opd_pack_kv_str (&pk, "slo", b->slo);
    opd_pack_kv_str (&pk, "window", fast ? "fast" : "slow");
    opd_pack_str (&pk, "burn_rate_long");
    msgpack_pack_double (&pk, fast ? b->rate_1h : b->rate_6h);
    opd_pack_str (&pk, "burn_rate_short");
    msgpack_pack_double (&pk, fast ? b->rate_5m : b->rate_30m);
    opd_pack_str (&pk, "threshold");
    msgpack_pack_double (&pk, fast ? fa.threshold : sa.threshold);
    opd_pack_str (&pk, "budget_spent");
    msgpack_pack_double (&pk, b->budget_spent);
}

//  Checks every policy's error budget and burn rates. An alert that starts
//  is published once as slo.burn (emit.lua sets opd:slo:burn:<policy>:<slo>:
//  <window> in the same atomic step); the key goes when the alert ends, so
//  the next start is published again.
static void
s_burn (slo_t *self)
{
    const opd_config_t *cfg = self->svc->cfg;
    int64_t now = opd_now_ms ();
    opd_slo_burn_t *v = NULL;
    int n = opd_slo_burn_compute (self->redis, cfg, now, &v);
    if (n < 0) {
        s_redis_failed (self, "burn");
        return;
    }
    for (int i = 0; i < n; i++) {
        for (int w = 0; w < 2; w++) {
            bool fast = w == 0, on = fast ? v[i].fast : v[i].slow;
            const char *window = fast ? "fast" : "slow";
            int rc;
            if (on) {
                msgpack_sbuffer buf;
                msgpack_sbuffer_init (&buf);
                s_pack_burn (&buf, cfg, &v[i], fast, now);
                rc = opd_store_burn_emit (self->redis, cfg, now, v[i].policy, v[i].slo, window, buf.data,
                                          buf.size);
                msgpack_sbuffer_destroy (&buf);
                if (rc == 1) {
                    self->burns++;
                    opd_warn ("error budget burning policy=%s slo=%s window=%s rate_long=%.2f "
                              "rate_short=%.2f budget_spent=%.3f",
                              v[i].policy, v[i].slo, fast ? "fast" : "slow",
                              fast ? v[i].rate_1h : v[i].rate_6h, fast ? v[i].rate_5m : v[i].rate_30m,
                              v[i].budget_spent);
                }
            }
            else
                rc = opd_store_burn_clear (self->redis, v[i].policy, v[i].slo, window);
            if (rc == -1) {
                s_redis_failed (self, "burn");
                free (v);
                return;
            }
            if (rc == -2)
                opd_error ("burn check failed policy=%s", v[i].policy);
            else if (!on && rc == 1)
                opd_info ("error budget burn over policy=%s slo=%s window=%s", v[i].policy, v[i].slo, window);
        }
    }
    free (v);
}

//  The measuring work of one loop: histograms of met clocks (each sweep),
//  a step of the gauges pass, and the burn check when it is time.
static void
s_measure (slo_t *self, bool sweep)
{
    if (opd_redis_is_down (self->redis))
        return;
    if (sweep && opd_slo_measure (self->redis, self->svc->cfg, MEASURE_MAX) < 0) {
        s_redis_failed (self, "measure");
        return;
    }
    int64_t mono = opd_mono_ms ();
    if (mono - self->last_gauges >= self->gauges_every) {
        self->last_gauges = mono;
        long pending = opd_slo_gauges_pass (self->redis);
        if (pending < 0) {
            s_redis_failed (self, "gauges");
            return;
        }
        self->gauges_every = pending < GAUGES_FEW_PENDING ? GAUGES_SMALL_MS : GAUGES_MS;
    }
    if (mono - self->last_burn >= BURN_MS || (self->breaches > 0 && mono - self->last_burn >= BURN_SOON_MS)) {
        self->last_burn = mono;
        self->breaches = 0;
        s_burn (self);
    }
}

//  --- The loop ----------------------------------------------------------

static const char *const s_doorbell[] = {"ticket.routed", "ticket.updated", "ticket.commented",
                                         "ticket.reopened", NULL};

static int
s_connect_events (slo_t *self)
{
    zsock_destroy (&self->sub);
    self->sub = zsock_new (ZMQ_SUB);
    if (!self->sub)
        return -1;
    zsock_set_rcvhwm (self->sub, 10000);
    for (int i = 0; s_doorbell[i]; i++)
        zsock_set_subscribe (self->sub, s_doorbell[i]);
    if (opd_curve_client (zsock_resolve (self->sub), &self->svc->cfg->curve)) {
        zsock_destroy (&self->sub);
        return -1;
    }
    if (zsock_connect (self->sub, "%s", self->svc->cfg->ep_events) < 0) {
        opd_error ("cannot connect to the events socket endpoint=%s", self->svc->cfg->ep_events);
        zsock_destroy (&self->sub);
        return -1;
    }
    return 0;
}

//  Takes every waiting doorbell message; returns how many there were.
static int
s_drain (slo_t *self)
{
    void *s = zsock_resolve (self->sub);
    int n = 0;
    zmq_msg_t part;
    zmq_msg_init (&part);
    while (zmq_msg_recv (&part, s, ZMQ_DONTWAIT) >= 0)
        if (!zmq_msg_more (&part))
            n++;
    zmq_msg_close (&part);
    return n;
}

//  The coverage.gap pass (issue 10, docs/shifts.md): the gaps of the rota
//  within the look-ahead that were not announced yet, and those that have
//  begun. opdesk-slo runs it because it runs anyway and already keeps time;
//  opdesk-web runs it too, at once, after a change made through the API.
#define ROTA_MS 60000
#define ROTA_PEEK_MS 1000  //  how often the next announced gap's start is looked up
static void
s_rota (slo_t *self, int64_t *next)
{
    if (opd_redis_is_down (self->redis))
        return;
    int64_t now = opd_now_ms ();
    //  A gap announced ahead (by this pass, or by the web or the command
    //  line after a change) is announced again as it begins, on time.
    if (opd_mono_ms () - self->rota_peek >= ROTA_PEEK_MS) {
        self->rota_peek = opd_mono_ms ();
        self->gap_begins = rota_next_gap_start (self->redis, self->svc->cfg, now);
    }
    bool begins = self->gap_begins > 0 && now >= self->gap_begins;
    if (opd_mono_ms () < *next && !begins)
        return;
    *next = opd_mono_ms () + ROTA_MS;
    self->gap_begins = 0;
    if (rota_announce (self->redis, self->svc->cfg, NULL, now) < 0)
        s_redis_failed (self, "coverage");
}

//  A ticket the router has not routed UNROUTED_GRACE_MS after it was
//  created gets its clocks all the same (its team still null; the contract's
//  SLO events allow that), so that a stopped or slow router never leaves a
//  P1 without a deadline; routing it later computes them again. Looked for
//  every UNROUTED_MS, BATCH at a time: a long outage's backlog is paged
//  through (self->unrouted_at), so tickets armed already never hide newer
//  ones.
#define UNROUTED_GRACE_MS 3000
#define UNROUTED_MS       1000
static void
s_unrouted (slo_t *self, int64_t *last)
{
    if (opd_redis_is_down (self->redis) || opd_mono_ms () - *last < UNROUTED_MS)
        return;
    *last = opd_mono_ms ();
    int64_t now = opd_now_ms ();
    redisReply *ids = opd_store_unrouted_before (self->redis, now - UNROUTED_GRACE_MS, self->unrouted_at, BATCH);
    static const char *const armed[] = {OPD_F_ARMED_AT};
    size_t n = ids && ids->type == REDIS_REPLY_ARRAY ? ids->elements : 0, sent = 0, queued = 0;
    self->unrouted_at = n == BATCH ? self->unrouted_at + BATCH : 0;  //  next page, or from the start
    for (size_t i = 0; i < n && opd_store_fields_append (self->redis, opd_reply_str (ids, i), armed, 1) == 0; i++)
        sent++;
    for (size_t i = 0; i < sent; i++) {
        redisReply *f = opd_redis_get_reply (self->redis);
        if (f && f->type == REDIS_REPLY_ARRAY && f->elements == 1 && !opd_reply_str (f, 0)
            && opd_store_slo_work_append (self->redis, opd_reply_str (ids, i), now) == 0)
            queued++;
        if (f)
            freeReplyObject (f);
    }
    for (size_t i = 0; i < queued; i++) {
        redisReply *x = opd_redis_get_reply (self->redis);
        if (x)
            freeReplyObject (x);
    }
    if (queued)
        opd_warn ("clocks armed for %zu tickets the router has not routed within %d ms", queued,
                  UNROUTED_GRACE_MS);
    if (ids)
        freeReplyObject (ids);
}

//  The auto-assignment pass (teams[].auto_assign, services/rota): tickets
//  waiting without an assignee go to the least-loaded agent on duty. Run
//  when the doorbell rings (a ticket was routed or changed) and every few
//  seconds, which assigns the tickets that waited once a shift begins. The
//  doorbell brings the pass forward to half a second after the last one, so
//  a busy event stream does not make it run on every turn.
#define ASSIGN_MS      5000
#define ASSIGN_SOON_MS 500
//  When the pass is next due (mono ms), given the last pass and whether the
//  doorbell has rung since.
static int64_t
s_assign_due (int64_t last, bool soon)
{
    return last + (soon ? ASSIGN_SOON_MS : ASSIGN_MS);
}

static void
s_assign (slo_t *self, int64_t *last, bool *soon)
{
    if (opd_redis_is_down (self->redis) || opd_mono_ms () < s_assign_due (*last, *soon))
        return;
    *last = opd_mono_ms ();
    *soon = false;
    if (rota_assign_pass (self->redis, self->svc->cfg, opd_now_ms ()) < 0)
        s_redis_failed (self, "assign");
}

static void
s_stats (slo_t *self)
{
    opd_info ("stats armed=%ld retried=%ld gone=%ld fired=%ld skipped=%ld failed=%ld late_max_ms=%lld "
              "burns=%ld",
              self->armed, self->retried, self->gone, self->fired, self->skipped, self->failed,
              (long long) self->late_max, self->burns);
    self->late_max = 0;
}

int
slo_run (opd_service_t *svc)
{
    slo_t self = {.svc = svc, .gauges_every = GAUGES_MS, .next_timer = -1};
    self.redis = opd_redis_new (svc->cfg);
    opd_redis_set_timeout (self.redis, 3000);
    if (s_connect_events (&self))
        opd_warn ("the doorbell is off; sweeping every %d ms", SWEEP_MS);
    if (opd_redis_connect (self.redis))
        s_redis_failed (&self, "connect");
    opd_info ("ready events=%s policies=%zu sweep_ms=%d timer_max_ms=%d", svc->cfg->ep_events,
              svc->cfg->npolicies, SWEEP_MS, TIMER_MAX_MS);

    int64_t next_sweep = 0;  //  at once: what waited while the service was down
    int64_t next_rota = 0;   //  at once, and after every reload
    int64_t last_assign = -ASSIGN_MS;  //  at once, and after every reload
    int64_t last_unrouted = 0;
    bool assign_soon = false;
    int64_t last_report = opd_mono_ms ();
    while (!opd_service_stopping ()) {
        if (opd_service_reload (svc) == 1) {
            opd_redis_destroy (&self.redis);
            self.redis = opd_redis_new (svc->cfg);
            opd_redis_set_timeout (self.redis, 3000);
            if (s_connect_events (&self))
                opd_warn ("the doorbell is off until the next reload; sweeping every %d ms", SWEEP_MS);
            s_requeue_running (&self);
            opd_info ("reconfigured policies=%zu calendars=%zu", svc->cfg->npolicies,
                      svc->cfg->ncalendars);
            next_sweep = 0;
            next_rota = 0;
            last_assign = -ASSIGN_MS;
        }
        s_rota (&self, &next_rota);
        s_unrouted (&self, &last_unrouted);
        bool swept = opd_mono_ms () >= next_sweep;
        long armed_before = self.armed;
        if (swept)
            next_sweep = s_sweep (&self) ? 0 : opd_mono_ms () + SWEEP_MS;
        //  Timers are fired even while a backlog waits in the work set.
        s_timers (&self, armed_before);
        int64_t next_timer = self.next_timer;
        s_measure (&self, swept);
        s_assign (&self, &last_assign, &assign_soon);
        int64_t wait = next_sweep - opd_mono_ms ();
        if (wait > TIMER_MAX_MS)
            wait = TIMER_MAX_MS;
        if (next_timer > 0 && next_timer - opd_now_ms () < wait)
            wait = next_timer - opd_now_ms ();
        if (wait < 0)
            wait = 0;
        bool rang = false;
        if (self.sub) {
            //  A signal wakes the loop at once.
            zmq_pollitem_t items[2] = {{zsock_resolve (self.sub), 0, ZMQ_POLLIN, 0},
                                       {NULL, opd_service_signal_fd (), ZMQ_POLLIN, 0}};
            int rc = zmq_poll (items, items[1].fd >= 0 ? 2 : 1, (long) wait);
            rang = rc > 0 && (items[0].revents & ZMQ_POLLIN) && s_drain (&self) > 0;
        }
        else if (wait > 0)
            opd_service_wait ((int) wait);
        //  The tickets right behind the one that rang go in the same sweep.
        if (rang && !opd_redis_is_down (self.redis) && next_sweep > opd_mono_ms () + GATHER_MS)
            next_sweep = opd_mono_ms () + GATHER_MS;
        assign_soon = assign_soon || rang;
        if (opd_mono_ms () - last_report > STATS_MS) {
            s_stats (&self);
            last_report = opd_mono_ms ();
        }
    }
    s_stats (&self);
    opd_redis_destroy (&self.redis);
    zsock_destroy (&self.sub);
    return 0;
}
