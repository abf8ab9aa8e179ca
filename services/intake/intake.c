/*  intake: see intake.h.

    The loop takes every request waiting on the ROUTER socket (up to a batch),
    validates each, sends the valid ones to Redis as one pipeline of create
    scripts, and only then answers: an accepted reply means the ticket is in
    Redis (and its AOF). A request that cannot be stored is answered
    'unavailable' and nothing of it is kept.

    With CURVE (auth.h) every request comes from an allow-listed client key,
    whose name is stored as the ticket's submitted_by; a request whose key
    has left the allow-list since the client connected is dropped. */
#include "intake.h"
#include "auth.h"
#include "opd_intake.h"
#include "opd_log.h"
#include "opd_redis.h"
#include "opd_store.h"
#include "opd_util.h"
#include "opd_zmq.h"
#include <czmq.h>
#include <stdlib.h>
#include <string.h>

#define BATCH 256
#define MAX_ENVELOPE 8
#define RETRY_FAST_MS 1000  //  a batch that failed sooner is sent again on a new connection
#define MIN_READ_BYTES (64LL * 1024 * 1024)  //  frames read to be answered too_large, whatever the limit

typedef struct {
    zmq_msg_t env[MAX_ENVELOPE];  //  routing id and delimiter, sent back as they came
    int nenv;
    zmq_msg_t body;
    opd_submit_t *submit;
    opd_reject_t rej;
    bool queued;  //  sent to Redis, its reply not read yet
    redisReply *rep;  //  create.lua's reply
    char submitted_by[OPD_CURVE_NAME_MAX + 1];  //  the client key's name (CURVE), else ""
} request_t;

//  Receives one whole multipart message; returns 0, or -1 when none is waiting.
static int
s_recv (void *sock, request_t *r)
{
    r->nenv = 0;
    r->submit = NULL;
    r->queued = false;
    r->rep = NULL;
    r->submitted_by[0] = 0;
    memset (&r->rej, 0, sizeof r->rej);
    zmq_msg_t part;
    zmq_msg_init (&part);
    if (zmq_msg_recv (&part, sock, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close (&part);
        return -1;
    }
    //  Frames before the last are the envelope; the last is the body.
    while (zmq_msg_more (&part)) {
        if (r->nenv < MAX_ENVELOPE) {
            zmq_msg_init (&r->env[r->nenv]);
            zmq_msg_move (&r->env[r->nenv++], &part);
        }
        zmq_msg_close (&part);
        zmq_msg_init (&part);
        if (zmq_msg_recv (&part, sock, 0) < 0)
            break;
    }
    zmq_msg_init (&r->body);
    zmq_msg_move (&r->body, &part);
    zmq_msg_close (&part);
    return 0;
}

//  Forgets a request without answering it.
static void
s_drop (request_t *r)
{
    for (int i = 0; i < r->nenv; i++)
        zmq_msg_close (&r->env[i]);
    zmq_msg_close (&r->body);
}

//  With CURVE: names the request's client key from the User-Id zauth gave
//  its connection. False (logged at most every 10 s) when the key is no
//  longer allow-listed: a connection outlives the removal of its key, the
//  request must not.
static bool
s_authorised (auth_t *auth, request_t *r)
{
    static int64_t logged_at = -10000;
    const char *user_id = zmq_msg_gets (&r->body, "User-Id");
    const char *name = auth_name (auth, user_id);
    if (name) {
        snprintf (r->submitted_by, sizeof r->submitted_by, "%s", name);
        return true;
    }
    if (opd_mono_ms () - logged_at >= 10000) {
        if (user_id && *user_id)
            opd_warn ("dropped a request from a client key that is not allowed key=%.8s...", user_id);
        else
            opd_error ("dropped a request without a User-Id: zauth gave none (czmq 4.2 or later is needed)");
        logged_at = opd_mono_ms ();
    }
    return false;
}

static void
s_reply (void *sock, request_t *r, msgpack_sbuffer *buf)
{
    for (int i = 0; i < r->nenv; i++)
        zmq_msg_send (&r->env[i], sock, ZMQ_SNDMORE);
    zmq_send (sock, buf->data, buf->size, 0);
    zmq_msg_close (&r->body);
    opd_submit_destroy (&r->submit);
}

static void
s_pair (opd_args_t *a, const char *key, const char *value)
{
    if (value) {
        opd_args_add (a, key);
        opd_args_add (a, value);
    }
}

//  The create call for one submission: the fields of the ticket hash (the
//  schema's names), then who it is from.
static void
s_create_call (const opd_config_t *cfg, const request_t *r, int64_t now, opd_store_call_t *c)
{
    const opd_submit_t *m = r->submit;
    opd_args_t f;
    opd_args_init (&f);
    s_pair (&f, OPD_F_KIND, m->kind);
    s_pair (&f, OPD_F_CHANNEL, m->channel);
    s_pair (&f, OPD_F_EXTERNAL_ID, m->external_id);
    s_pair (&f, OPD_F_SUBJECT, m->subject);
    s_pair (&f, OPD_F_BODY, m->body);
    s_pair (&f, OPD_F_REQ_NAME, m->req_name);
    s_pair (&f, OPD_F_REQ_EMAIL, m->req_email);
    s_pair (&f, OPD_F_REQ_PHONE, m->req_phone);
    s_pair (&f, OPD_F_PRIORITY, m->priority);
    s_pair (&f, OPD_F_IMPACT, m->impact);
    s_pair (&f, OPD_F_URGENCY, m->urgency);
    s_pair (&f, OPD_F_CATEGORY, m->category);
    s_pair (&f, OPD_F_REQUEST_TYPE, m->request_type);
    s_pair (&f, OPD_F_FIELDS, m->fields_json);
    s_pair (&f, OPD_F_ATTACHMENTS, m->attachments_json);
    s_pair (&f, OPD_F_MISSING, m->missing_json);
    opd_args_add (&f, OPD_F_RECEIVED_AT);
    opd_args_addi (&f, m->received_at);
    if (m->missing_json) {
        //  Missing required details: the ticket waits on the requester.
        s_pair (&f, OPD_F_STATUS, "pending");
        opd_args_add (&f, OPD_F_RES_PAUSE);
        opd_args_addi (&f, m->received_at);
        opd_args_add (&f, OPD_F_DETAILS_ASKED_AT);
        opd_args_addi (&f, m->received_at);
    }
    //  No acknowledgement to the desk itself, whatever the channel: mail to
    //  its own address would come back as mail (decision 179).
    if (m->suppress_ack || opd_config_desk_address (cfg, m->req_email))
        s_pair (&f, OPD_F_NO_ACK, "1");
    s_pair (&f, OPD_F_PARTICIPANTS, m->participants_json);
    //  Who submitted it: the authenticated client key's name, never a value
    //  from the message (the decoder does not even read one).
    if (r->submitted_by[0])
        s_pair (&f, OPD_F_SUBMITTED_BY, r->submitted_by);
    opd_store_create_t in = {
        .channel = m->channel,
        .external_id = m->external_id,
        .reply_to = m->reply_to,
        //  The author: a verified agent by id, as in comments from the console.
        .author = m->agent && m->reply_to ? m->agent
                  : m->req_email          ? m->req_email
                  : m->req_phone          ? m->req_phone
                                          : m->req_name,
        .fields = &f,
        //  The sender check of the email channel. A sender is an agent only
        //  when the adapter verified it (the agent key), never because its
        //  address is an agent's: a From header is trivially forged (issue 8).
        .sender_check = m->sender_check,
        .from_agent = m->agent && m->reply_to,
        .agent_address = !m->agent && m->reply_to && opd_config_agent_by_email (cfg, m->req_email),
    };
    opd_store_create_call (c, cfg, now, &in);
    opd_args_free (&f);
}

typedef struct {
    long accepted, created, rejected, unavailable;
} stats_t;

//  Sends create.lua for every decoded request that has no reply yet.
static void
s_queue (const opd_config_t *cfg, opd_redis_t *redis, request_t *reqs, int n, int64_t now)
{
    for (int i = 0; i < n; i++) {
        request_t *r = &reqs[i];
        if (!r->submit || r->rep)
            continue;
        opd_store_call_t c;
        s_create_call (cfg, r, now, &c);
        r->queued = opd_store_call_append (redis, &c) == 0;
        opd_store_call_free (&c);
    }
}

//  Reads the replies of the queued requests; false when Redis failed.
static bool
s_collect (opd_redis_t *redis, request_t *reqs, int n)
{
    for (int i = 0; i < n; i++) {
        request_t *r = &reqs[i];
        if (!r->queued)
            continue;
        r->queued = false;
        r->rep = opd_redis_get_reply (redis);
        if (!r->rep) {
            for (int j = i + 1; j < n; j++)
                reqs[j].queued = false;
            return false;
        }
    }
    return true;
}

//  Answers one request: accepted, unavailable (a decoded request Redis did
//  not answer) or its rejection.
static void
s_answer (void *sock, request_t *r, msgpack_sbuffer *buf, stats_t *st)
{
    msgpack_sbuffer_clear (buf);
    opd_store_created_t done;
    if (r->rep && opd_store_create_reply (r->rep, &done) == 0) {
        opd_pack_accepted (buf, done.ticket_id, done.created);
        st->accepted++;
        if (done.created)
            st->created++;
        opd_debug ("accepted ticket=%s created=%d kind=%s", done.ticket_id, done.created, done.kind);
    }
    else if (r->submit) {
        r->rej.code = OPD_REJ_UNAVAILABLE;
        snprintf (r->rej.message, sizeof r->rej.message,
                  "the ticket store did not answer; send it again (the same external_id is never stored twice)");
        opd_pack_rejected (buf, &r->rej);
        st->unavailable++;
    }
    else {
        opd_pack_rejected (buf, &r->rej);
        st->rejected++;
        opd_info ("rejected code=%s key=%s", opd_reject_code_name (r->rej.code), r->rej.key);
    }
    if (r->rep)
        freeReplyObject (r->rep);
    r->rep = NULL;
    s_reply (sock, r, buf);
}

//  A batch: decode, create in one pipeline, answer. A connection that
//  failed at once (Redis restarted since the last batch: the old
//  connection is dead, which only a command finds out) is opened again and
//  the requests without a reply are sent once more; create.lua is
//  idempotent on (channel, external_id), so one that Redis did run answers
//  the same ticket. A slow failure (Redis stalled past the timeout) is
//  not tried again: the client's own retry is.
static void
s_handle_batch (opd_service_t *svc, opd_redis_t *redis, void *sock, request_t *reqs, int n,
                stats_t *st)
{
    int64_t now = opd_now_ms ();
    for (int i = 0; i < n; i++)
        if (opd_submit_decode (zmq_msg_data (&reqs[i].body), zmq_msg_size (&reqs[i].body), svc->cfg, now,
                               &reqs[i].submit, &reqs[i].rej))
            reqs[i].submit = NULL;
    for (int attempt = 0; attempt < 2; attempt++) {
        int64_t started = opd_mono_ms ();
        if (opd_redis_connect (redis))
            break;
        s_queue (svc->cfg, redis, reqs, n, now);
        if (s_collect (redis, reqs, n))
            break;
        opd_warn ("Redis failed during a batch: %s", opd_redis_error (redis));
        opd_redis_disconnect (redis);
        if (opd_mono_ms () - started > RETRY_FAST_MS)
            break;
    }
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    for (int i = 0; i < n; i++)
        s_answer (sock, &reqs[i], &buf, st);
    msgpack_sbuffer_destroy (&buf);
}

//  --- The event relay: tails opd:events and publishes each entry. ---------
//
//  The relay keeps its PUB socket for its whole life: a reload that changes
//  neither the events endpoint nor Redis leaves it alone (a socket closed
//  and bound again at once can meet "Address already in use" while libzmq
//  still closes the old one). When binding fails, at start or after a
//  change, it retries with backoff and logs once; live events are best
//  effort and the history keeps them meanwhile.

#define RELAY_RETRY_MS 200
#define RELAY_RETRY_MAX_MS 5000

typedef struct {
    const opd_config_t *cfg;   //  borrowed until the actor has signalled
    const opd_curve_t *curve;  //  the keys intake started with (borrowed for the actor's life)
    int status;                //  0, or -1 when the socket could not be made a CURVE server
} relay_args_t;

typedef struct {
    zsock_t *pub;
    char *endpoint;
    bool bound;
    int pause_ms;       //  before the next bind attempt; 0 before a failure
    int64_t next_bind;  //  monotonic ms
} relay_t;

//  One bind attempt; the first failure of a series is logged, and the
//  success that ends it.
static void
s_relay_bind (relay_t *self)
{
    if (opd_zmq_try_bind (self->pub, self->endpoint) == 0) {
        self->bound = true;
        if (self->pause_ms)
            opd_info ("events socket bound endpoint=%s", self->endpoint);
        return;
    }
    if (!self->pause_ms)
        opd_error ("cannot bind socket=events endpoint=%s error=\"%s\", retrying with backoff; live "
                   "events wait, the history keeps them",
                   self->endpoint, zmq_strerror (errno));
    self->pause_ms = self->pause_ms ? self->pause_ms * 2 : RELAY_RETRY_MS;
    if (self->pause_ms > RELAY_RETRY_MAX_MS)
        self->pause_ms = RELAY_RETRY_MAX_MS;
    self->next_bind = opd_mono_ms () + self->pause_ms;
}

//  Publishes the entries of one XREAD reply; last follows them.
static void
s_relay_publish (relay_t *self, redisReply *r, char *last, size_t last_len)
{
    redisReply *entries = r->element[0]->element[1];
    for (size_t i = 0; i < entries->elements; i++) {
        redisReply *e = entries->element[i];
        snprintf (last, last_len, "%s", e->element[0]->str);
        redisReply *fv = e->element[1];
        const char *topic = NULL, *msg = NULL;
        size_t topic_len = 0, msg_len = 0;
        for (size_t j = 0; j + 1 < fv->elements; j += 2) {
            if (!strcmp (fv->element[j]->str, "t")) {
                topic = fv->element[j + 1]->str;
                topic_len = fv->element[j + 1]->len;
            }
            else if (!strcmp (fv->element[j]->str, "m")) {
                msg = fv->element[j + 1]->str;
                msg_len = fv->element[j + 1]->len;
            }
        }
        if (topic && msg && self->bound) {
            void *s = zsock_resolve (self->pub);
            zmq_send (s, topic, topic_len, ZMQ_SNDMORE);
            zmq_send (s, msg, msg_len, 0);
        }
    }
}

static void
s_relay_actor (zsock_t *pipe, void *args)
{
    relay_args_t *ra = args;
    relay_t self = {zsock_new (ZMQ_PUB), NULL, false, 0, 0};
    if (!self.pub || auth_server (self.pub, ra->curve)) {
        ra->status = -1;
        zsock_signal (pipe, 0);
        zsock_destroy (&self.pub);
        return;
    }
    zsock_set_sndhwm (self.pub, 100000);
    self.endpoint = opd_strdup (ra->cfg->ep_events);
    s_relay_bind (&self);
    auth_watch_t *watch = auth_watch_new (self.pub, "events", ra->curve);
    opd_redis_t *redis = opd_redis_new (ra->cfg);
    opd_redis_set_timeout (redis, 3000);
    ra->status = 0;
    zsock_signal (pipe, 0);  //  ra->cfg is not touched after this
    char last[64] = "";
    zpoller_t *poller = zpoller_new (pipe, NULL);
    while (true) {
        //  Commands from the parent stop the relay.
        if (zpoller_wait (poller, 0) == pipe)
            break;
        auth_watch_read (watch);
        if (!self.bound && opd_mono_ms () >= self.next_bind)
            s_relay_bind (&self);
        if (!last[0]) {
            //  Live publishing starts from now; the history serves the rest.
            if (opd_store_events_last (redis, last, sizeof last) == -1) {
                last[0] = 0;
                if (zpoller_wait (poller, 200) == pipe)
                    break;
                continue;
            }
        }
        redisReply *r = opd_store_events_wait (redis, last, 1000, 200);
        if (!r) {
            if (zpoller_wait (poller, 200) == pipe)
                break;
            continue;
        }
        if (r->type == REDIS_REPLY_ARRAY && r->elements == 1)
            s_relay_publish (&self, r, last, sizeof last);
        freeReplyObject (r);
    }
    zpoller_destroy (&poller);
    opd_redis_destroy (&redis);
    auth_watch_destroy (&watch);
    zsock_destroy (&self.pub);
    free (self.endpoint);
}

//  The relay; NULL when its socket could not be made a CURVE server
//  (logged). zactor_new returns once the actor has copied what it needs of
//  cfg: signals are blocked in every thread (opd_service.h), so that wait
//  is never cut short and ra outlives its use.
static zactor_t *
s_relay_new (const opd_config_t *cfg, const opd_curve_t *curve)
{
    relay_args_t ra = {cfg, curve, -1};
    zactor_t *relay = zactor_new (s_relay_actor, &ra);
    if (relay && ra.status != 0)
        zactor_destroy (&relay);
    return relay;
}

//  What the relay depends on: a reload that changes it rebuilds the relay.
static char *
s_relay_needs (const opd_config_t *cfg)
{
    return opd_sprintf ("%s %s %d %d %s", cfg->ep_events, cfg->redis_host, cfg->redis_port,
                        cfg->redis_db, cfg->redis_password ? cfg->redis_password : "");
}

//  The intake ROUTER, bound; NULL when it could not be (logged).
static zsock_t *
s_router_new (const opd_config_t *cfg, const opd_curve_t *curve)
{
    zsock_t *router = zsock_new (ZMQ_ROUTER);
    //  A frame far above the limit is dropped by libzmq before it is read;
    //  frames up to four times the limit, and at least MIN_READ_BYTES, are
    //  read and answered too_large (decision 8).
    int64_t readable = cfg->frame_bytes * 4 > MIN_READ_BYTES ? cfg->frame_bytes * 4 : MIN_READ_BYTES;
    zsock_set_maxmsgsize (router, (int) (readable > 0x7fffffff ? 0x7fffffff : readable));
    zsock_set_rcvhwm (router, 100000);
    zsock_set_sndhwm (router, 100000);
    zsock_set_linger (router, 1000);
    if (auth_server (router, curve) || opd_zmq_bind (router, cfg->ep_intake, "intake") < 0)
        zsock_destroy (&router);
    return router;
}

int
intake_run (opd_service_t *svc)
{
    //  zauth first: a CURVE server socket bound without it lets any key in.
    opd_curve_t curve = svc->cfg->curve;
    auth_t *auth = curve.enabled ? auth_new (svc->cfg) : NULL;
    zsock_t *router = !curve.enabled || auth ? s_router_new (svc->cfg, &curve) : NULL;
    zactor_t *relay = router ? s_relay_new (svc->cfg, &curve) : NULL;
    if (!relay) {
        zactor_destroy (&relay);
        zsock_destroy (&router);
        auth_destroy (&auth);
        opd_curve_wipe (&curve);
        return 1;
    }
    char *relay_needs = s_relay_needs (svc->cfg);
    auth_watch_t *watch = auth_watch_new (router, "intake", &curve);
    opd_redis_t *redis = opd_redis_new (svc->cfg);
    if (opd_redis_connect (redis))
        opd_warn ("Redis is not reachable yet: %s", opd_redis_error (redis));
    opd_info ("ready intake=%s events=%s curve=%s", svc->cfg->ep_intake, svc->cfg->ep_events,
              curve.enabled ? "on" : "off");

    request_t *reqs = opd_calloc (BATCH, sizeof (request_t));
    stats_t st = {0};
    void *sock = zsock_resolve (router);
    int64_t last_report = opd_mono_ms ();
    while (!opd_service_stopping ()) {
        if (opd_service_reload (svc) == 1) {
            //  Endpoints and CURVE keys need a restart; limits, taxonomy,
            //  types and the allow-list apply now.
            if (!opd_curve_same (&curve, &svc->cfg->curve))
                opd_warn ("curve keys changed or curve turned on or off: this needs a restart; the "
                          "sockets keep the keys they started with");
            if (auth)
                auth_reload (auth, svc->cfg);
            opd_redis_destroy (&redis);
            redis = opd_redis_new (svc->cfg);
            char *needs = s_relay_needs (svc->cfg);
            if (strcmp (needs, relay_needs)) {
                zactor_destroy (&relay);
                relay = s_relay_new (svc->cfg, &curve);
                opd_info ("events relay restarted events=%s", svc->cfg->ep_events);
            }
            free (relay_needs);
            relay_needs = needs;
        }
        //  The signal descriptor wakes the loop at once (opd_service.h).
        zmq_pollitem_t items[3] = {{sock, 0, ZMQ_POLLIN, 0},
                                   {NULL, opd_service_signal_fd (), ZMQ_POLLIN, 0},
                                   {auth_watch_socket (watch), 0, ZMQ_POLLIN, 0}};
        int rc = zmq_poll (items, watch ? 3 : 2, 500);
        auth_watch_read (watch);
        if (rc <= 0 || !(items[0].revents & ZMQ_POLLIN))
            continue;
        int n = 0;
        while (n < BATCH && s_recv (sock, &reqs[n]) == 0) {
            if (!auth || s_authorised (auth, &reqs[n]))
                n++;
            else
                s_drop (&reqs[n]);
        }
        if (n)
            s_handle_batch (svc, redis, sock, reqs, n, &st);
        if (opd_mono_ms () - last_report > 60000) {
            opd_info ("stats accepted=%ld created=%ld rejected=%ld unavailable=%ld", st.accepted,
                      st.created, st.rejected, st.unavailable);
            last_report = opd_mono_ms ();
        }
    }
    free (reqs);
    free (relay_needs);
    zactor_destroy (&relay);
    opd_redis_destroy (&redis);
    auth_watch_destroy (&watch);
    zsock_destroy (&router);
    auth_destroy (&auth);
    opd_curve_wipe (&curve);
    return 0;
}
