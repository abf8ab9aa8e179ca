/*  router: see router.h.

    One sweep takes up to BATCH ids from opd:unrouted, reads the eight fields
    the decision needs with one pipeline of HMGET, decides in C, and writes
    every decision with one pipeline of route.lua. route.lua removes the id
    from opd:unrouted first and does nothing when it was gone already, so two
    routers, a retried batch or a restart never route a ticket twice. A
    sweep goes on batch after batch until the work set is empty. */
#include "router.h"
#include "details_reply.h"
#include "opd_log.h"
#include "opd_redis.h"
#include "opd_store.h"
#include "opd_util.h"
#include "opd_route_rules.h"
#include <czmq.h>
#include <stdlib.h>
#include <string.h>

#define BATCH         200
#define SWEEP_MS      200
#define GATHER_MS     2     //  a doorbell's sweep waits this long for the tickets behind it
#define DETAILS_MS    5000  //  the details work set without a doorbell
#define STATS_MS      60000
#define ID_MAX        64
#define NWANTED       8   //  the ticket fields the decision reads

typedef struct {
    opd_service_t *svc;
    router_rules_t *rules;
    opd_redis_t *redis;
    zsock_t *sub;
    int64_t next_details;  //  when the details work set is swept without a ring
    long routed, skipped, failed;
} router_t;

static void
s_redis_failed (router_t *self, const char *what)
{
    opd_redis_failed (self->redis, what, NULL);
}

static void
s_redis_ok (router_t *self)
{
    opd_redis_recovered (self->redis);
}

static const char *
s_field (const redisReply *r, size_t i)
{
    const char *s = opd_reply_str (r, i);
    return s ? s : "";
}

//  One batch. Returns the number of ids taken (0 when the work set is
//  empty), or -1 when Redis failed. *progress counts the tickets that left
//  the work set (routed now, or found routed or gone).
static int
s_batch (router_t *self, int *progress)
{
    *progress = 0;
    redisReply *range = opd_store_unrouted (self->redis, BATCH);
    if (!range) {
        s_redis_failed (self, "ZRANGE");
        return -1;
    }
    if (range->type != REDIS_REPLY_ARRAY) {
        //  An error reply (LOADING while Redis reads its AOF, say) is an
        //  outage too: logged once, retried at the sweep pace.
        opd_redis_failed (self->redis, "ZRANGE",
                          range->type == REDIS_REPLY_ERROR ? range->str : "unexpected reply");
        freeReplyObject (range);
        return -1;
    }
    size_t n = range->elements;
    if (n == 0) {
        freeReplyObject (range);
        s_redis_ok (self);
        return 0;
    }
    //  Pipeline 1: the fields of every ticket the decision reads.
    static const char *const wanted[NWANTED] = {OPD_F_SUBJECT, OPD_F_BODY, OPD_F_PRIORITY, OPD_F_CATEGORY,
                                                OPD_F_CHANNEL, OPD_F_REQ_EMAIL, OPD_F_REQUEST_TYPE,
                                                OPD_F_RECEIVED_AT};
    for (size_t i = 0; i < n; i++) {
        if (opd_store_fields_append (self->redis, range->element[i]->str, wanted, NWANTED)) {
            freeReplyObject (range);
            s_redis_failed (self, "HMGET");
            return -1;
        }
    }
    redisReply **fields = opd_calloc (n, sizeof (redisReply *));
    bool broken = false;
    bool refused = false;  //  an error reply: never decide on missing fields
    for (size_t i = 0; i < n && !broken; i++) {
        fields[i] = opd_redis_get_reply (self->redis);
        broken = fields[i] == NULL;
        if (fields[i] && (fields[i]->type != REDIS_REPLY_ARRAY || fields[i]->elements != NWANTED)) {
            if (!refused)
                opd_error ("HMGET failed ticket=%s error=\"%s\"", range->element[i]->str,
                           fields[i]->type == REDIS_REPLY_ERROR ? fields[i]->str : "unexpected reply");
            refused = true;
        }
    }
    if (refused && !broken) {
        for (size_t i = 0; i < n; i++)
            if (fields[i])
                freeReplyObject (fields[i]);
        free (fields);
        freeReplyObject (range);
        self->failed++;
        return -1;
    }
    //  Pipeline 2: every decision.
    int64_t now = opd_now_ms ();
    for (size_t i = 0; i < n && !broken; i++) {
        const char *id = range->element[i]->str;
        router_decision_t d;
        const redisReply *f = fields[i];
        router_ticket_t t = {s_field (f, 0), s_field (f, 1), s_field (f, 2), s_field (f, 3),
                             s_field (f, 4), s_field (f, 5), s_field (f, 6), strtoll (s_field (f, 7), NULL, 10)};
        router_rules_decide_ticket (self->rules, &t, &d);
        opd_store_route_t route = {d.team, d.category, d.priority, d.rule, d.standard_response, d.tags, d.assignee};
        opd_store_call_t c;
        opd_store_route_call (&c, self->svc->cfg, now, id, &route);
        broken = opd_store_call_append (self->redis, &c) != 0;
        opd_store_call_free (&c);
        if (!broken)
            opd_debug ("decided ticket=%s team=%s priority=%s rule=%s", id, d.team, d.priority,
                       *d.rule ? d.rule : "-");
    }
    for (size_t i = 0; i < n; i++)
        if (fields[i])
            freeReplyObject (fields[i]);
    free (fields);
    for (size_t i = 0; i < n && !broken; i++) {
        redisReply *r = opd_redis_get_reply (self->redis);
        if (!r) {
            broken = true;
            break;
        }
        int routed;
        if (opd_store_route_reply (r, &routed) == 0) {
            (*progress)++;
            if (routed == 1)
                self->routed++;
            else
                self->skipped++;
        }
        else {
            self->failed++;
            opd_error ("not routed ticket=%s", range->element[i]->str);
        }
        freeReplyObject (r);
    }
    freeReplyObject (range);
    if (broken) {
        s_redis_failed (self, "route");
        return -1;
    }
    s_redis_ok (self);
    return (int) n;
}

//  Routes until the work set is empty, Redis fails, or a whole batch made
//  no progress (a script error: the next sweep tries again).
static void
s_sweep (router_t *self)
{
    while (!opd_service_stopping ()) {
        int progress = 0;
        int n = s_batch (self, &progress);
        if (n < BATCH || progress == 0)
            break;
    }
    //  Missing details written in replies (details_reply.h): in the sweep after
    //  a ticket.commented rang, else as a safety net every DETAILS_MS.
    if (opd_mono_ms () >= self->next_details) {
        details_reply_sweep (self->redis, self->svc->cfg);
        self->next_details = opd_mono_ms () + DETAILS_MS;
    }
}

static int
s_connect_events (router_t *self)
{
    zsock_destroy (&self->sub);
    self->sub = zsock_new (ZMQ_SUB);
    if (!self->sub)
        return -1;
    zsock_set_rcvhwm (self->sub, 10000);
    zsock_set_subscribe (self->sub, "ticket.created");
    zsock_set_subscribe (self->sub, "ticket.commented");
    if (opd_curve_client (zsock_resolve (self->sub), &self->svc->cfg->curve))
        return -1;
    if (zsock_connect (self->sub, "%s", self->svc->cfg->ep_events) < 0) {
        opd_error ("cannot connect to the events socket endpoint=%s", self->svc->cfg->ep_events);
        return -1;
    }
    return 0;
}

//  Takes every waiting doorbell message; returns how many there were.
static int
s_drain (router_t *self)
{
    void *s = zsock_resolve (self->sub);
    int n = 0;
    zmq_msg_t part;
    zmq_msg_init (&part);
    while (zmq_msg_recv (&part, s, ZMQ_DONTWAIT) >= 0) {
        if (!zmq_msg_more (&part))
            n++;
    }
    zmq_msg_close (&part);
    return n;
}

//  After SIGHUP: new rules, Redis client and events socket. When the new
//  rules cannot be compiled the old ones stay in force.
static void
s_reconfigure (router_t *self)
{
    char err[512];
    router_rules_t *rules = router_rules_new (self->svc->cfg, err, sizeof err);
    if (rules) {
        router_rules_destroy (&self->rules);
        self->rules = rules;
    }
    else
        opd_error ("routing rules not replaced: %s", err);
    opd_redis_destroy (&self->redis);
    self->redis = opd_redis_new (self->svc->cfg);
    if (s_connect_events (self))
        opd_warn ("the doorbell is off until the next reload; sweeping every %d ms", SWEEP_MS);
    opd_info ("reconfigured rules=%zu", router_rules_count (self->rules));
}

int
router_run (opd_service_t *svc)
{
    router_t self = {.svc = svc};
    char err[512];
    self.rules = router_rules_new (svc->cfg, err, sizeof err);
    if (!self.rules) {
        opd_error ("%s", err);
        return 2;
    }
    self.redis = opd_redis_new (svc->cfg);
    if (s_connect_events (&self)) {
        router_rules_destroy (&self.rules);
        opd_redis_destroy (&self.redis);
        zsock_destroy (&self.sub);
        return 1;
    }
    if (opd_redis_connect (self.redis))
        s_redis_failed (&self, "connect");
    opd_info ("ready events=%s rules=%zu sweep_ms=%d batch=%d", svc->cfg->ep_events,
              router_rules_count (self.rules), SWEEP_MS, BATCH);

    int64_t next_sweep = 0;  //  at once: what waited while the router was down
    int64_t last_report = opd_mono_ms ();
    while (!opd_service_stopping ()) {
        if (opd_service_reload (svc) == 1) {
            s_reconfigure (&self);
            next_sweep = 0;
            self.next_details = 0;
        }
        int64_t now = opd_mono_ms ();
        if (now >= next_sweep) {
            s_sweep (&self);
            //  During an outage, retry at the sweep pace; the log stays quiet.
            next_sweep = opd_mono_ms () + SWEEP_MS;
            continue;
        }
        bool rang = false;
        if (self.sub) {
            //  A signal wakes the loop at once.
            zmq_pollitem_t items[2] = {{zsock_resolve (self.sub), 0, ZMQ_POLLIN, 0},
                                       {NULL, opd_service_signal_fd (), ZMQ_POLLIN, 0}};
            int rc = zmq_poll (items, items[1].fd >= 0 ? 2 : 1, (long) (next_sweep - now));
            rang = rc > 0 && (items[0].revents & ZMQ_POLLIN) && s_drain (&self) > 0;
        }
        else
            opd_service_wait ((int) (next_sweep - now));
        if (rang)
            opd_debug ("doorbell rang");
        //  The tickets right behind the one that rang go in the same sweep.
        if (rang && !opd_redis_is_down (self.redis)) {
            if (next_sweep > opd_mono_ms () + GATHER_MS)
                next_sweep = opd_mono_ms () + GATHER_MS;
            self.next_details = 0;
        }
        if (opd_mono_ms () - last_report > STATS_MS) {
            opd_info ("stats routed=%ld skipped=%ld failed=%ld", self.routed, self.skipped,
                      self.failed);
            last_report = opd_mono_ms ();
        }
    }
    opd_info ("stats routed=%ld skipped=%ld failed=%ld", self.routed, self.skipped, self.failed);
    router_rules_destroy (&self.rules);
    opd_redis_destroy (&self.redis);
    zsock_destroy (&self.sub);
    return 0;
}
