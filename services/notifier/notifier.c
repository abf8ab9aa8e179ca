/*  notifier: see notifier.h and README.md.

    The outbox is three Redis keys (proto/keys.md, reached through
    opd_store): jobs wait in ready, the one being sent sits in busy (moved
    there atomically by BLMOVE), failed ones wait in the zset retry until
    their time comes.
    A job leaves 'busy' only through outbox_done.lua (sent, or given up) or
    outbox_retry.lua, after the SMTP server answered. A notifier that dies
    leaves its job in 'busy'; the next one returns it to 'ready' when it
    starts. So no job is lost, and at most the one in flight at a crash is
    sent twice. */
#include "notifier.h"
#include "mail.h"
#include "notices.h"
#include "opd_log.h"
#include "opd_redis.h"
#include "opd_req_tz.h"
#include "opd_schema.h"
#include "opd_store.h"
#include "opd_util.h"
#include "smtp.h"
#include "webhook.h"
#include <curl/curl.h>
#include <czmq.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PAUSE_MS 300000
#define REDIS_TIMEOUT_MS 3000  //  above the BLMOVE block of 0.5 s

typedef struct {
    opd_service_t *svc;
    opd_redis_t *redis;
    smtp_t *smtp;
    bool started;  //  jobs left in 'busy' by an earlier run returned
    //  A finishing script that could not reach Redis: run again before
    //  anything else, so that a job never stays in 'busy' for long.
    bool has_pending;
    opd_store_call_t pending;
    long sent, failed, retried;
    //  Agent notifications (notices.c): the cursor in opd:events, once read.
    char notices_cursor[64];
    bool notices_started;
    int64_t notices_warned;  //  monotonic ms of the last warning
} notifier_t;

int64_t
notifier_backoff_ms (int attempt)
{
    if (attempt < 1)
        attempt = 1;
    if (attempt > 20)
        return MAX_PAUSE_MS;
    int64_t pause = 1000LL << (attempt - 1);
    return pause > MAX_PAUSE_MS ? MAX_PAUSE_MS : pause;
}

//  Runs a finishing script call; when Redis cannot be reached it is kept
//  and run again later. The call is taken.
static void
s_finish (notifier_t *self, opd_store_call_t *c)
{
    redisReply *r = opd_store_call_run (self->redis, c);
    if (!r) {
        opd_warn ("outbox update postponed, Redis unavailable: %s", opd_redis_error (self->redis));
        self->has_pending = true;
        self->pending = *c;
        return;
    }
    if (r->type == REDIS_REPLY_ERROR)
        opd_error ("outbox script failed: %s", r->str);
    freeReplyObject (r);
    opd_store_call_free (c);
}

static int
s_flush_pending (notifier_t *self)
{
    redisReply *r = opd_store_call_run (self->redis, &self->pending);
    if (!r)
        return -1;
    if (r->type == REDIS_REPLY_ERROR)
        opd_error ("outbox script failed: %s", r->str);
    freeReplyObject (r);
    opd_store_call_free (&self->pending);
    self->has_pending = false;
    return 0;
}

static void
s_done_held (notifier_t *self, const char *job, size_t len, const char *outcome, const char *ticket,
             const char *detail, const mail_t *m)
{
    opd_store_call_t c;
    opd_store_outbox_done_call (&c, self->svc->cfg, opd_now_ms (), job, len, outcome, ticket, detail,
                                m ? m->held_response : NULL, m ? m->held_variable : NULL);
    s_finish (self, &c);
}

static void
s_done (notifier_t *self, const char *job, size_t len, const char *outcome, const char *ticket,
        const char *detail)
{
    s_done_held (self, job, len, outcome, ticket, detail, NULL);
}

//  Puts the job back for later: as it was (Redis failed while reading, the
//  attempt does not count), or as 'again' with its attempt counted.
static void
s_retry (notifier_t *self, const char *job, size_t len, const char *again, int64_t at)
{
    opd_store_call_t c;
    opd_store_outbox_retry_call (&c, self->svc->cfg, opd_now_ms (), job, len, again, at);
    s_finish (self, &c);
}

static int
s_promote (notifier_t *self, bool at_start)
{
    int moved = opd_store_outbox_promote (self->redis, self->svc->cfg, opd_now_ms (), at_start);
    if (moved < 0)
        return -1;
    if (moved > 0)
        opd_debug ("outbox promoted jobs=%d mode=%s", moved, at_start ? "start" : "due");
    return 0;
}

//  Remembers the first Message-ID the desk sent on a ticket (field
//  mail_thread), so later mail can refer to it. 0, or -1 when Redis failed.
static int
s_remember_thread (notifier_t *self, const char *id, const char *msgid)
{
    return opd_store_mail_thread_set (self->redis, id, msgid);
}

//  A new link's token: 256 random bits (hex) into token[65], and only its
//  SHA-256 in Redis (key_of's key = value, PX life_ms): a sign-in link
//  (opd:signin:HASH = email) or a details link (opd:details:HASH = ticket).
//  0, or -1 when Redis failed.
static int
s_link_token (notifier_t *self, int (*key_of) (char *, size_t, const char *), const char *value, int64_t life_ms,
              char *token)
{
    opd_random_hex (token, 32);
    gchar *hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, token, -1);
    char key[128];
    key_of (key, sizeof key, hash);
    g_free (hash);
    redisReply *r = opd_redis_command (self->redis, "SET %s %s PX %lld", key, value, (long long) life_ms);
    int rc = r && r->type == REDIS_REPLY_STATUS ? 0 : -1;
    if (r)
        freeReplyObject (r);
    return rc;
}

//  The portal's address with path and token: a link for a mail.
static char *
s_link (const opd_config_t *cfg, const char *path, const char *token)
{
    const char *base = cfg->web_public_url ? cfg->web_public_url : "";
    size_t n = strlen (base);
    return opd_sprintf ("%.*s%s%s", (int) (n && base[n - 1] == '/' ? n - 1 : n), base, path, token);
}

//  A resolution note's mail carries the satisfaction rating: a link for
//  Good and one for Bad (opd:rating:HASH = "ID|good" / "ID|bad"), fresh on
//  every attempt like the details link. links[0], links[1] are the caller's
//  to free; 0, or -1 when Redis failed (nothing to free then).
static int
s_rating_links (notifier_t *self, const char *ticket, char *links[2])
{
    const opd_config_t *cfg = self->svc->cfg;
    static const char *const choice[2] = {"good", "bad"};
    char token[65];
    links[0] = links[1] = NULL;
    for (int i = 0; i < 2; i++) {
        char *value = opd_sprintf ("%s|%s", ticket, choice[i]);
        int rc = s_link_token (self, opd_key_rating_link, value, cfg->web_rating_link_ms, token);
        free (value);
        if (rc) {
            free (links[0]);
            links[0] = NULL;
            return -1;
        }
        links[i] = s_link (cfg, "/rate/", token);
        explicit_bzero (token, sizeof token);
    }
    return 0;
}

static bool
s_is_resolution (const char *comment_json)
{
    json_t *c = comment_json ? json_loads (comment_json, 0, NULL) : NULL;
    bool yes = json_is_true (json_object_get (c, "resolution"));
    json_decref (c);
    return yes;
}

//  Sends mail m of job j; the job is done, retried later, or given up.
static void
s_send (notifier_t *self, json_t *j, const char *job, size_t len, const char *ticket, mail_t *m)
{
    const opd_config_t *cfg = self->svc->cfg;
    long long jid = json_integer_value (json_object_get (j, "id"));
    long long attempt = json_integer_value (json_object_get (j, "attempt"));
    const char *kind = json_string_value (json_object_get (j, "kind"));
    if (smtp_send (self->smtp, cfg->smtp_from, m->to, m->data, m->size) == 0) {
        opd_info ("sent job=%lld kind=%s ticket=%s attempt=%lld bytes=%zu", jid, kind, ticket,
                  attempt, m->size);
        self->sent++;
        if (m->held_response)
            opd_warn ("standard response held job=%lld ticket=%s response=%s variable=%s: "
                      "the plain acknowledgement was sent",
                      jid, ticket, m->held_response, m->held_variable);
        s_done_held (self, job, len, "sent", ticket, "", m);
    }
    else if (attempt + 1 >= NOTIFIER_MIN_ATTEMPTS
             && opd_now_ms () - json_integer_value (json_object_get (j, "queued_at")) >= NOTIFIER_GIVE_UP_MS) {
        opd_error ("gave up job=%lld kind=%s ticket=%s attempts=%lld error=\"%s\"", jid, kind,
                   ticket, attempt + 1, smtp_error (self->smtp));
        self->failed++;
        char *detail = opd_sprintf ("smtp: %s", smtp_error (self->smtp));
        s_done (self, job, len, "failed", ticket, detail);
        free (detail);
    }
    else {
        int64_t pause = notifier_backoff_ms ((int) attempt + 1);
        opd_warn ("smtp failed job=%lld kind=%s ticket=%s attempt=%lld retry_in_ms=%lld error=\"%s\"",
                  jid, kind, ticket, attempt + 1, (long long) pause, smtp_error (self->smtp));
        json_object_set_new (j, "attempt", json_integer (attempt + 1));
        char *again = json_dumps (j, JSON_COMPACT);
        self->retried++;
        s_retry (self, job, len, again, opd_now_ms () + pause);
        free (again);
    }
}

//  Kind "signin" (queued by opdesk-web on /login): a fresh link on every
//  attempt, so the token exists only here and in the mail. A link stored
//  for an attempt that failed is never mailed and expires unused.
static void
s_process_signin (notifier_t *self, json_t *j, const char *job, size_t len)
{
    const opd_config_t *cfg = self->svc->cfg;
    long long jid = json_integer_value (json_object_get (j, "id"));
    const char *email = json_string_value (json_object_get (j, "email"));
    char token[65];
    if (!email || !opd_email_valid (email)) {
        opd_info ("job=%lld kind=signin not sent: no email", jid);
        self->failed++;
        s_done (self, job, len, "failed", "", "no email");
        return;
    }
    if (s_link_token (self, opd_key_signin, email, cfg->web_signin_link_ms, token)) {
        opd_warn ("job=%lld kind=signin put back, Redis failed: %s", jid, opd_redis_error (self->redis));
        s_retry (self, job, len, NULL, opd_now_ms () + 1000);
        return;
    }
    char *zone = NULL;
    if (opd_req_tz_get (self->redis, email, &zone)) {
        s_retry (self, job, len, NULL, opd_now_ms () + 1000);
        return;
    }
    char *link = s_link (cfg, "/login/link?t=", token);
    int64_t now = opd_now_ms ();
    mail_input_t in = {.kind = "signin", .job_id = jid, .now_ms = now, .to = email, .link = link,
                       .link_expires_ms = now + cfg->web_signin_link_ms, .zone = zone};
    mail_t m;
    const char *why = NULL;
    if (mail_compose (cfg, &in, &m, &why)) {
        opd_info ("job=%lld kind=signin not sent: %s", jid, why);
        self->failed++;
        s_done (self, job, len, "failed", "", why);
    }
    else {
        s_send (self, j, job, len, "", &m);
        mail_clear (&m);
    }
    explicit_bzero (token, sizeof token);
    explicit_bzero (link, strlen (link));
    free (link);
    free (zone);
}

//  What a mail to the requester carries besides the ticket: the zone the
//  requester chose, a details link, the rating links. Made on every
//  attempt; the links' tokens exist only here and in the mail.
typedef struct {
    char token[65];  //  the details link's
    char *link;
    char *rate[2];   //  the rating links
    json_t *rated;   //  the job with them, for mail_compose only
    char *zone;
} extras_t;

static void
s_forget (char *secret)
{
    if (secret)
        explicit_bzero (secret, strlen (secret));
    free (secret);
}

static void
s_extras_free (extras_t *x)
{
    explicit_bzero (x->token, sizeof x->token);
    s_forget (x->rate[0]);
    s_forget (x->rate[1]);
    s_forget (x->link);
    json_decref (x->rated);
    free (x->zone);
}

//  Fills x and the matching members of in. 0, or -1 when Redis failed (the
//  job is then tried again).
static int
s_extras (notifier_t *self, json_t *j, const char *kind, const char *ticket, const opd_ticket_t *t,
          const char *comment, mail_input_t *in, extras_t *x)
{
    const opd_config_t *cfg = self->svc->cfg;
    //  Mails to the requester print times in the zone the requester chose.
    bool to_requester = !strcmp (kind, "ack") || !strcmp (kind, "comment");
    if (to_requester && t->req_email && opd_req_tz_get (self->redis, t->req_email, &x->zone))
        return -1;
    in->zone = x->zone;
    //  An acknowledgement of a ticket that lacks details carries a link to
    //  give them.
    if (!strcmp (kind, "ack") && t->missing && *t->missing) {
        if (s_link_token (self, opd_key_details, ticket, cfg->web_details_link_ms, x->token))
            return -1;
        x->link = s_link (cfg, "/details/", x->token);
        in->link = x->link;
        in->link_expires_ms = in->now_ms + cfg->web_details_link_ms;
    }
    if (!strcmp (kind, "comment") && s_is_resolution (comment)) {
        if (s_rating_links (self, ticket, x->rate))
            return -1;
        x->rated = json_deep_copy (j);
        json_object_set_new (x->rated, "rating_good", json_string (x->rate[0]));
        json_object_set_new (x->rated, "rating_bad", json_string (x->rate[1]));
        in->job = x->rated;
        in->link_expires_ms = in->now_ms + cfg->web_rating_link_ms;
    }
    return 0;
}

static void
s_process (notifier_t *self, const char *job, size_t len)
{
    const opd_config_t *cfg = self->svc->cfg;
    json_t *j = json_loadb (job, len, 0, NULL);
    const char *jkind = json_string_value (json_object_get (j, "kind"));
    if (json_is_object (j) && jkind && !strcmp (jkind, "signin")) {
        s_process_signin (self, j, job, len);
        json_decref (j);
        return;
    }
    const char *ticket = json_string_value (json_object_get (j, "ticket"));
    const char *kind = json_string_value (json_object_get (j, "kind"));
    if (!json_is_object (j) || !ticket || !kind || !*ticket || strchr (ticket, ' ')) {
        opd_warn ("outbox job is malformed, dropped");
        s_done (self, job, len, "failed", "", "malformed job");
        json_decref (j);
        return;
    }
    long long jid = json_integer_value (json_object_get (j, "id"));
    long long cid = json_integer_value (json_object_get (j, "comment"));
    opd_ticket_t t;
    redisReply *hash = NULL;
    int found = opd_store_ticket_get (self->redis, ticket, &t, &hash);
    char *comment = NULL;
    extras_t x = {0};
    bool failed = found == -1;
    bool about_comment = !strcmp (kind, "comment") || !strcmp (kind, "agent");
    if (found == 1 && about_comment)
        comment = opd_store_comment_get (self->redis, ticket, cid, &failed);
    if (failed) {
        opd_warn ("job=%lld ticket=%s put back, Redis failed: %s", jid, ticket,
                  opd_redis_error (self->redis));
        s_retry (self, job, len, NULL, opd_now_ms ());
        goto end;
    }
    if (found != 1) {
        opd_warn ("job=%lld kind=%s ticket=%s not sent: no such ticket", jid, kind, ticket);
        s_done (self, job, len, "failed", ticket, "no ticket");
        goto end;
    }
    mail_input_t in = {.kind = kind, .job_id = jid, .ticket = &t, .comment_json = comment, .now_ms = opd_now_ms (),
                       .job = j};
    if (s_extras (self, j, kind, ticket, &t, comment, &in, &x)) {
        s_retry (self, job, len, NULL, opd_now_ms () + 1000);
        goto end;
    }
    mail_t m;
    const char *why = NULL;
    if (about_comment && !comment)
        why = "no comment";
    else
        mail_compose (cfg, &in, &m, &why);
    if (why) {
        opd_info ("job=%lld kind=%s ticket=%s not sent: %s", jid, kind, ticket, why);
        self->failed++;
        s_done (self, job, len, "failed", ticket, why);
        goto end;
    }
    //  The thread is the requester's conversation: a mail to an agent never starts it.
    if (strcmp (kind, "agent") && strcmp (kind, "notice") && !t.mail_thread
        && s_remember_thread (self, ticket, m.message_id)) {
        s_retry (self, job, len, NULL, opd_now_ms ());
        mail_clear (&m);
        goto end;
    }
    s_send (self, j, job, len, ticket, &m);
    mail_clear (&m);
end:
    s_extras_free (&x);
    free (comment);
    if (hash)
        freeReplyObject (hash);
    json_decref (j);
}

//  Events after the cursor turned into agent notifications (notices.c).
//  True when a full batch was handled: more may be waiting.
static bool
s_notices (notifier_t *self)
{
    if (!self->notices_started)
        self->notices_started
            = notices_start (self->redis, self->notices_cursor, sizeof self->notices_cursor) == 0;
    int n = self->notices_started ? notices_step (self->redis, self->svc->cfg, self->notices_cursor,
                                                  sizeof self->notices_cursor)
                                  : -1;
    if (n < 0 && opd_mono_ms () - self->notices_warned > 60000) {
        opd_warn ("agent notifications postponed cursor=%s: %s", self->notices_cursor,
                  opd_redis_error (self->redis));
        self->notices_warned = opd_mono_ms ();
    }
    return n == NOTICES_BATCH;
}

//  One turn of the loop: due retries back to ready, agent notifications,
//  then one job (waiting at most half a second for it, unless more events
//  wait).
static void
s_turn (notifier_t *self)
{
    if (s_promote (self, false) != 0) {
        opd_service_wait (200);
        return;
    }
    bool more = s_notices (self);
    redisReply *r = opd_store_outbox_take (self->redis, more ? 0.01 : 0.5);
    if (!r) {
        opd_warn ("Redis unavailable: %s", opd_redis_error (self->redis));
        opd_service_wait (200);
        return;
    }
    if (r->type == REDIS_REPLY_STRING)
        s_process (self, r->str, r->len);
    else if (r->type == REDIS_REPLY_ERROR)
        opd_error ("BLMOVE failed: %s", r->str);
    freeReplyObject (r);
}

static void
s_connect (notifier_t *self)
{
    self->redis = opd_redis_new (self->svc->cfg);
    opd_redis_set_timeout (self->redis, REDIS_TIMEOUT_MS);
    self->smtp = smtp_new (self->svc->cfg);
}

int
notifier_run (opd_service_t *svc)
{
    if (curl_global_init (CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        opd_error ("curl_global_init failed");
        return 1;
    }
    notifier_t self = {.svc = svc};
    s_connect (&self);
    zactor_t *hooks = webhook_actor_new (svc->cfg);
    if (s_promote (&self, true) == 0)
        self.started = true;
    else
        opd_warn ("Redis is not reachable yet: %s", opd_redis_error (self.redis));
    //  Before "ready": no event written after it is missed.
    self.notices_started = notices_start (self.redis, self.notices_cursor, sizeof self.notices_cursor) == 0;
    opd_info ("ready webhooks=%zu smtp_timeout_ms=%lld", svc->cfg->nwebhooks,
              (long long) svc->cfg->smtp_timeout_ms);
    int64_t last_report = opd_mono_ms ();
    while (!opd_service_stopping ()) {
        if (opd_service_reload (svc) == 1) {
            zactor_destroy (&hooks);
            opd_redis_destroy (&self.redis);
            smtp_destroy (&self.smtp);
            s_connect (&self);
            hooks = webhook_actor_new (svc->cfg);
            opd_info ("configuration reloaded webhooks=%zu", svc->cfg->nwebhooks);
        }
        if (self.has_pending && s_flush_pending (&self)) {
            opd_service_wait (200);
            continue;
        }
        if (!self.started) {
            if (s_promote (&self, true)) {
                opd_service_wait (500);
                continue;
            }
            self.started = true;
        }
        s_turn (&self);
        if (opd_mono_ms () - last_report > 60000) {
            opd_info ("stats sent=%ld failed=%ld retried=%ld", self.sent, self.failed, self.retried);
            last_report = opd_mono_ms ();
        }
    }
    if (self.has_pending)
        opd_store_call_free (&self.pending);
    zactor_destroy (&hooks);
    smtp_destroy (&self.smtp);
    opd_redis_destroy (&self.redis);
    curl_global_cleanup ();
    return 0;
}
