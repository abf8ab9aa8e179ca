/*  webhook: see webhook.h. */
#include "webhook.h"
#include "opd_blob.h"
#include "opd_event.h"
#include "opd_log.h"
#include "opd_mp.h"
#include "opd_redis.h"
#include "opd_store.h"
#include "opd_util.h"
#include <curl/curl.h>
#include <glib.h>
#include <jansson.h>
#include <string.h>

#define BATCH 100
#define TIMEOUT_MS 5000
#define MAX_PAUSE_MS 60000
#define GIVE_UP_MS (24LL * 3600 * 1000)  //  an event failing this long is given up

char *
webhook_event_json (const char *data, size_t len, const char *cursor)
{
    json_t *j = opd_event_json (data, len);
    if (!j)
        return NULL;
    if (cursor)
        json_object_set_new (j, "cursor", json_string (cursor));
    char *text = json_dumps (j, JSON_COMPACT);
    json_decref (j);
    return text;
}

char *
webhook_signature (const char *secret, const char *body, size_t len)
{
    GHmac *h = g_hmac_new (G_CHECKSUM_SHA256, (const guchar *) (secret ? secret : ""),
                           secret ? strlen (secret) : 0);
    g_hmac_update (h, (const guchar *) body, (gssize) len);
    char *r = opd_sprintf ("sha256=%s", g_hmac_get_string (h));
    g_hmac_unref (h);
    return r;
}

bool
webhook_topic_matches (const opd_webhook_t *w, const char *topic)
{
    if (w->ntopics == 0)
        return true;
    for (size_t i = 0; i < w->ntopics; i++)
        if (!strcmp (w->topics[i], "*") || !strncmp (topic, w->topics[i], strlen (w->topics[i])))
            return true;
    return false;
}

//  --- The delivery thread -----------------------------------------------

typedef struct {
    opd_webhook_t w;  //  owned copies
    int index;
    char key[64];
    char old_key[64];  //  the cursor's key of an older notifier (by index), taken over once
    char cursor[64];  //  "" until read from Redis
    int attempts;     //  failures of the event after the cursor
    int64_t failing_since;  //  monotonic ms of its first failure
    int64_t next_at;  //  monotonic ms before which nothing is tried
} hook_t;

typedef struct {
    hook_t *hooks;
    size_t nhooks;
    opd_redis_t *redis;
    CURL *curl;
} state_t;

typedef struct {
    const opd_config_t *cfg;
} actor_args_t;

//  Reads the cursor, or creates it at the end of the stream. 0 or -1.
static int
s_load_cursor (state_t *st, hook_t *h)
{
    redisReply *r = opd_redis_command (st->redis, "GET %s", h->key);
    if (!r)
        return -1;
    if (r->type == REDIS_REPLY_STRING && r->len < sizeof h->cursor) {
        snprintf (h->cursor, sizeof h->cursor, "%s", r->str);
        freeReplyObject (r);
        return 0;
    }
    freeReplyObject (r);
    char end[64] = "0-0";
    //  A cursor an older notifier kept under the webhook's number: taken
    //  over once (GETDEL), so that an upgrade misses nothing.
    r = opd_redis_command (st->redis, "GETDEL %s", h->old_key);
    if (!r)
        return -1;
    bool old = r->type == REDIS_REPLY_STRING && r->len < sizeof end;
    if (old)
        snprintf (end, sizeof end, "%s", r->str);
    freeReplyObject (r);
    if (!old && opd_store_events_last (st->redis, end, sizeof end) == -1)
        return -1;
    //  NX: two notifiers starting at once agree on one cursor.
    r = opd_redis_command (st->redis, "SET %s %s NX", h->key, end);
    if (!r)
        return -1;
    freeReplyObject (r);
    r = opd_redis_command (st->redis, "GET %s", h->key);
    if (!r)
        return -1;
    int rc = -1;
    if (r->type == REDIS_REPLY_STRING && r->len < sizeof h->cursor) {
        snprintf (h->cursor, sizeof h->cursor, "%s", r->str);
        opd_info ("webhook cursor created hook=%d cursor=%s", h->index, h->cursor);
        rc = 0;
    }
    freeReplyObject (r);
    return rc;
}

static void
s_save_cursor (state_t *st, hook_t *h)
{
    redisReply *r = opd_redis_command (st->redis, "SET %s %s", h->key, h->cursor);
    if (r)
        freeReplyObject (r);
    else
        opd_warn ("webhook cursor not saved hook=%d: %s", h->index, opd_redis_error (st->redis));
}

//  POSTs one body; 0 on a 2xx answer, else -1 with a reason in err.
static int
s_post (state_t *st, hook_t *h, const char *body, char *err, size_t errlen)
{
    if (!st->curl)
        st->curl = curl_easy_init ();
    if (!st->curl) {
        snprintf (err, errlen, "curl_easy_init failed");
        return -1;
    }
    char *sig = webhook_signature (h->w.secret, body, strlen (body));
    char *sig_header = opd_sprintf ("X-Opdesk-Signature: %s", sig);
    struct curl_slist *headers = curl_slist_append (NULL, "Content-Type: application/json");
    headers = curl_slist_append (headers, sig_header);
    headers = curl_slist_append (headers, "Expect:");
    CURL *c = st->curl;
    curl_easy_setopt (c, CURLOPT_URL, h->w.url);
    curl_easy_setopt (c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt (c, CURLOPT_TIMEOUT_MS, (long) TIMEOUT_MS);
    curl_easy_setopt (c, CURLOPT_CONNECTTIMEOUT_MS, (long) TIMEOUT_MS);
    curl_easy_setopt (c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt (c, CURLOPT_USERAGENT, "opdesk-notifier/" OPD_VERSION);
    curl_easy_setopt (c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt (c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) strlen (body));
    CURLcode rc = curl_easy_perform (c);
    long code = 0;
    curl_easy_getinfo (c, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_setopt (c, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt (c, CURLOPT_POSTFIELDS, NULL);
    curl_slist_free_all (headers);
    free (sig_header);
    free (sig);
    if (rc != CURLE_OK) {
        snprintf (err, errlen, "%s", curl_easy_strerror (rc));
        return -1;
    }
    if (code < 200 || code > 299) {
        snprintf (err, errlen, "HTTP status %ld", code);
        return -1;
    }
    return 0;
}

//  One round for one webhook. Returns 1 when more events are waiting.
static int
s_step (state_t *st, hook_t *h)
{
    if (!h->cursor[0] && s_load_cursor (st, h))
        return 0;
    if (opd_mono_ms () < h->next_at)
        return 0;
    redisReply *r = opd_store_events_after (st->redis, h->cursor, BATCH);
    if (!r)
        return 0;
    if (r->type != REDIS_REPLY_ARRAY) {
        opd_warn ("webhook XRANGE failed hook=%d: %s", h->index,
                  r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
        freeReplyObject (r);
        return 0;
    }
    bool dirty = false, stopped = false;
    for (size_t i = 0; i < r->elements && !stopped; i++) {
        redisReply *e = r->element[i];
        const char *eid = e->element[0]->str;
        redisReply *fv = e->element[1];
        const char *topic = NULL, *msg = NULL;
        size_t msg_len = 0;
        for (size_t j = 0; j + 1 < fv->elements; j += 2) {
            if (!strcmp (fv->element[j]->str, "t"))
                topic = fv->element[j + 1]->str;
            else if (!strcmp (fv->element[j]->str, "m")) {
                msg = fv->element[j + 1]->str;
                msg_len = fv->element[j + 1]->len;
            }
        }
        if (topic && msg && webhook_topic_matches (&h->w, topic)) {
            char *body = webhook_event_json (msg, msg_len, eid);
            char err[128] = "";
            if (!body)
                opd_warn ("webhook skips a malformed event hook=%d event=%s", h->index, eid);
            else if (s_post (st, h, body, err, sizeof err) == 0)
                opd_debug ("webhook delivered hook=%d topic=%s event=%s", h->index, topic, eid);
            else if (++h->attempts > 1 && opd_mono_ms () - h->failing_since >= GIVE_UP_MS)
                opd_error ("webhook gave up hook=%d topic=%s event=%s attempts=%d error=\"%s\"",
                           h->index, topic, eid, h->attempts, err);
            else {
                if (h->attempts == 1)
                    h->failing_since = opd_mono_ms ();
                //  1 s, 2 s, 4 s ... then MAX_PAUSE_MS.
                int64_t pause = h->attempts > 6 ? MAX_PAUSE_MS : 1000LL << (h->attempts - 1);
                h->next_at = opd_mono_ms () + pause;
                opd_warn ("webhook failed hook=%d topic=%s event=%s attempt=%d retry_in_ms=%lld "
                          "error=\"%s\"",
                          h->index, topic, eid, h->attempts, (long long) pause, err);
                stopped = true;
            }
            free (body);
            if (stopped)
                break;
            h->attempts = 0;
            snprintf (h->cursor, sizeof h->cursor, "%s", eid);
            s_save_cursor (st, h);
            dirty = false;
            continue;
        }
        snprintf (h->cursor, sizeof h->cursor, "%s", eid);
        dirty = true;
    }
    if (dirty)
        s_save_cursor (st, h);
    int more = !stopped && r->elements == BATCH;
    freeReplyObject (r);
    return more;
}

static void
s_actor (zsock_t *pipe, void *args)
{
    const opd_config_t *cfg = ((actor_args_t *) args)->cfg;
    state_t st = {0};
    st.nhooks = cfg->nwebhooks;
    st.hooks = opd_calloc (st.nhooks, sizeof (hook_t));
    for (size_t i = 0; i < st.nhooks; i++) {
        hook_t *h = &st.hooks[i];
        const opd_webhook_t *w = &cfg->webhooks[i];
        h->index = (int) i;
        h->w.url = opd_strdup (w->url);
        h->w.secret = w->secret ? opd_strdup (w->secret) : NULL;
        h->w.ntopics = w->ntopics;
        h->w.topics = opd_calloc (w->ntopics + 1, sizeof (char *));
        for (size_t j = 0; j < w->ntopics; j++)
            h->w.topics[j] = opd_strdup (w->topics[j]);
        char index[24], sha[65];
        snprintf (index, sizeof index, "%zu", i);
        opd_key_webhook_cursor (h->old_key, sizeof h->old_key, index);
        opd_blob_sha256 (w->url, strlen (w->url), sha);
        sha[16] = '\0';
        opd_key_webhook_cursor (h->key, sizeof h->key, sha);
    }
    st.redis = opd_redis_new (cfg);
    opd_redis_set_timeout (st.redis, 3000);
    //  Cursors are created before the parent goes on, so that no event
    //  written after the notifier is ready is missed.
    for (size_t i = 0; i < st.nhooks; i++)
        s_load_cursor (&st, &st.hooks[i]);
    zsock_signal (pipe, 0);  //  cfg is not touched after this

    zpoller_t *poller = zpoller_new (pipe, NULL);
    int wait = 0;
    while (true) {
        if (zpoller_wait (poller, wait) == pipe)
            break;  //  $TERM from zactor_destroy
        wait = 200;
        for (size_t i = 0; i < st.nhooks; i++)
            if (s_step (&st, &st.hooks[i]) > 0)
                wait = 0;
    }
    zpoller_destroy (&poller);
    for (size_t i = 0; i < st.nhooks; i++) {
        hook_t *h = &st.hooks[i];
        free (h->w.url);
        free (h->w.secret);
        for (size_t j = 0; j < h->w.ntopics; j++)
            free (h->w.topics[j]);
        free (h->w.topics);
    }
    free (st.hooks);
    if (st.curl)
        curl_easy_cleanup (st.curl);
    opd_redis_destroy (&st.redis);
}

zactor_t *
webhook_actor_new (const opd_config_t *cfg)
{
    if (cfg->nwebhooks == 0)
        return NULL;
    //  args lives on this stack: zactor_new returns only once the actor has
    //  signalled that it copied what it needs. That wait is never cut short,
    //  as signals are blocked in every thread (opd_service.h); before, a
    //  SIGHUP ended it early and the actor read a dead frame.
    actor_args_t args = {cfg};
    return zactor_new (s_actor, &args);
}
