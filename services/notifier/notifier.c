/*  notifier: see notifier.h and README.md.

    The outbox is three Redis keys: jobs wait in opd:outbox:ready, the one
    being sent sits in opd:outbox:busy (moved there atomically by BLMOVE),
    failed ones wait in the zset opd:outbox:retry until their time comes.
    A job leaves 'busy' only through outbox_done.lua (sent, or given up) or
    outbox_retry.lua, after the SMTP server answered. A notifier that dies
    leaves its job in 'busy'; the next one returns it to 'ready' when it
    starts. So no job is lost, and at most the one in flight at a crash is
    sent twice. */
#include "notifier.h"
#include "mail.h"
#include "opd_log.h"
#include "opd_redis.h"
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
    opd_script_t pending_script;
    opd_args_t pending;
    long sent, failed, retried;
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

//  Runs a finishing script; when Redis cannot be reached it is kept and run
//  again later. The args are taken.
static void
s_finish (notifier_t *self, opd_script_t script, opd_args_t *args)
{
    redisReply *r = opd_redis_script (self->redis, script, args);
    if (!r) {
        opd_warn ("outbox update postponed, Redis unavailable: %s", opd_redis_error (self->redis));
        self->has_pending = true;
        self->pending_script = script;
        self->pending = *args;
        opd_args_init (args);
        return;
    }
    if (r->type == REDIS_REPLY_ERROR)
        opd_error ("outbox script failed: %s", r->str);
    freeReplyObject (r);
    opd_args_free (args);
}

static int
s_flush_pending (notifier_t *self)
{
    redisReply *r = opd_redis_script (self->redis, self->pending_script, &self->pending);
    if (!r)
        return -1;
    if (r->type == REDIS_REPLY_ERROR)
        opd_error ("outbox script failed: %s", r->str);
    freeReplyObject (r);
    opd_args_free (&self->pending);
    self->has_pending = false;
    return 0;
}

static void
s_done (notifier_t *self, const char *job, size_t len, const char *outcome, const char *ticket,
        const char *detail)
{
    opd_args_t a;
    opd_args_init (&a);
    opd_args_addi (&a, opd_now_ms ());
    opd_args_addi (&a, self->svc->cfg->events_max_len);
    opd_args_addn (&a, job, len);
    opd_args_add (&a, outcome);
    opd_args_add (&a, ticket);
    opd_args_add (&a, detail);
    s_finish (self, OPD_SCRIPT_OUTBOX_DONE, &a);
}

//  Puts the job back for later: as it was (Redis failed while reading, the
//  attempt does not count), or as 'again' with its attempt counted.
static void
s_retry (notifier_t *self, const char *job, size_t len, const char *again, int64_t at)
{
    opd_args_t a;
    opd_args_init (&a);
    opd_args_addi (&a, opd_now_ms ());
    opd_args_addi (&a, self->svc->cfg->events_max_len);
    opd_args_addn (&a, job, len);
    if (again)
        opd_args_add (&a, again);
    else
        opd_args_addn (&a, job, len);
    opd_args_addi (&a, at);
    s_finish (self, OPD_SCRIPT_OUTBOX_RETRY, &a);
}

static int
s_promote (notifier_t *self, const char *mode)
{
    opd_args_t a;
    opd_args_init (&a);
    opd_args_addi (&a, opd_now_ms ());
    opd_args_addi (&a, self->svc->cfg->events_max_len);
    opd_args_add (&a, mode);
    redisReply *r = opd_redis_script (self->redis, OPD_SCRIPT_OUTBOX_PROMOTE, &a);
    opd_args_free (&a);
    if (!r)
        return -1;
    int rc = 0;
    if (r->type == REDIS_REPLY_ERROR) {
        opd_error ("outbox_promote failed: %s", r->str);
        rc = -1;
    }
    else if (r->type == REDIS_REPLY_INTEGER && r->integer > 0)
        opd_debug ("outbox promoted jobs=%lld mode=%s", r->integer, *mode ? mode : "due");
    freeReplyObject (r);
    return rc;
}

//  The ticket hash as a table; NULL when Redis failed. Empty when gone.
static GHashTable *
s_ticket (notifier_t *self, const char *id)
{
    redisReply *r = opd_redis_command (self->redis, "HGETALL opd:t:%s", id);
    if (!r)
        return NULL;
    GHashTable *t = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
    if (r->type == REDIS_REPLY_ARRAY)
        for (size_t i = 0; i + 1 < r->elements; i += 2)
            g_hash_table_insert (t, g_strdup (r->element[i]->str), g_strdup (r->element[i + 1]->str));
    freeReplyObject (r);
    return t;
}

static bool
s_comment_has_id (const char *text, long long cid)
{
    json_t *c = json_loads (text, 0, NULL);
    bool ok = json_is_object (c) && json_integer_value (json_object_get (c, "id")) == cid;
    json_decref (c);
    return ok;
}

//  The comment cid of the ticket as stored; *failed when Redis failed.
static char *
s_comment (notifier_t *self, const char *id, long long cid, bool *failed)
{
    *failed = false;
    redisReply *r = opd_redis_command (self->redis, "LINDEX opd:t:%s:c %lld", id, cid - 1);
    if (!r) {
        *failed = true;
        return NULL;
    }
    char *found = NULL;
    if (r->type == REDIS_REPLY_STRING && s_comment_has_id (r->str, cid))
        found = opd_strdup (r->str);
    freeReplyObject (r);
    if (found)
        return found;
    //  Comments are numbered in order; search in case that ever changes.
    r = opd_redis_command (self->redis, "LRANGE opd:t:%s:c 0 -1", id);
    if (!r) {
        *failed = true;
        return NULL;
    }
    for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements && !found; i++)
        if (r->element[i]->type == REDIS_REPLY_STRING && s_comment_has_id (r->element[i]->str, cid))
            found = opd_strdup (r->element[i]->str);
    freeReplyObject (r);
    return found;
}

//  Remembers the first Message-ID the desk sent on a ticket (field
//  mail_thread), so later mail can refer to it. 0, or -1 when Redis failed.
static int
s_remember_thread (notifier_t *self, const char *id, const char *msgid)
{
    redisReply *r = opd_redis_command (self->redis, "HSETNX opd:t:%s mail_thread %s", id, msgid);
    if (!r)
        return -1;
    freeReplyObject (r);
    return 0;
}

static void
s_process (notifier_t *self, const char *job, size_t len)
{
    const opd_config_t *cfg = self->svc->cfg;
    json_t *j = json_loadb (job, len, 0, NULL);
    const char *ticket = json_string_value (json_object_get (j, "ticket"));
    const char *kind = json_string_value (json_object_get (j, "kind"));
    if (!json_is_object (j) || !ticket || !kind || !*ticket || strchr (ticket, ' ')) {
        opd_warn ("outbox job is malformed, dropped");
        s_done (self, job, len, "failed", "", "malformed job");
        json_decref (j);
        return;
    }
    long long jid = json_integer_value (json_object_get (j, "id"));
    long long attempt = json_integer_value (json_object_get (j, "attempt"));
    long long cid = json_integer_value (json_object_get (j, "comment"));
    GHashTable *t = s_ticket (self, ticket);
    char *comment = NULL;
    bool failed = t == NULL;
    bool about_comment = !strcmp (kind, "comment") || !strcmp (kind, "agent");
    if (t && about_comment)
        comment = s_comment (self, ticket, cid, &failed);
    if (failed) {
        opd_warn ("job=%lld ticket=%s put back, Redis failed: %s", jid, ticket,
                  opd_redis_error (self->redis));
        s_retry (self, job, len, NULL, opd_now_ms ());
        goto end;
    }
    if (g_hash_table_size (t) == 0) {
        opd_warn ("job=%lld kind=%s ticket=%s not sent: no such ticket", jid, kind, ticket);
        s_done (self, job, len, "failed", ticket, "no ticket");
        goto end;
    }
    mail_input_t in = {kind, jid, t, comment, opd_now_ms ()};
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
    if (strcmp (kind, "agent") && !g_hash_table_lookup (t, "mail_thread")
        && s_remember_thread (self, ticket, m.message_id)) {
        s_retry (self, job, len, NULL, opd_now_ms ());
        mail_clear (&m);
        goto end;
    }
    if (smtp_send (self->smtp, cfg->smtp_from, m.to, m.data, m.size) == 0) {
        opd_info ("sent job=%lld kind=%s ticket=%s attempt=%lld bytes=%zu", jid, kind, ticket,
                  attempt, m.size);
        self->sent++;
        s_done (self, job, len, "sent", ticket, "");
    }
    else if (attempt + 1 >= NOTIFIER_MAX_ATTEMPTS) {
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
    mail_clear (&m);
end:
    free (comment);
    if (t)
        g_hash_table_destroy (t);
    json_decref (j);
}

//  One turn of the loop: due retries back to ready, then one job (waiting
//  at most half a second for it).
static void
s_turn (notifier_t *self)
{
    if (s_promote (self, "") != 0) {
        opd_service_wait (200);
        return;
    }
    redisReply *r = opd_redis_command (self->redis,
                                       "BLMOVE opd:outbox:ready opd:outbox:busy RIGHT LEFT 0.5");
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
    if (s_promote (&self, "start") == 0)
        self.started = true;
    else
        opd_warn ("Redis is not reachable yet: %s", opd_redis_error (self.redis));
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
            if (s_promote (&self, "start")) {
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
        opd_args_free (&self.pending);
    zactor_destroy (&hooks);
    smtp_destroy (&self.smtp);
    opd_redis_destroy (&self.redis);
    curl_global_cleanup ();
    return 0;
}
