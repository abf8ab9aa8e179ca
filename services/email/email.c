/*  email: see email.h.

    One poll of a mailbox: UID SEARCH for what is still there (processed
    mail is expunged or moved, mail rejected for good carries the keyword
    $OpdeskRejected), then in batches of FETCH_BATCH UIDs: fetch them
    (libcurl's ;UID= URL, UID FETCH BODY[]), deliver them to intake in UID order with up to IN_FLIGHT
    submissions waiting for their answers (opd_mailer_prepare, the intake
    client's send and recv, opd_mailer_finish), and collect the UIDs intake
    accepted. A message that replies to one still in flight waits for it,
    so that it threads onto the ticket that message makes. Only then are they marked: UID MOVE to move_to,
    or UID STORE +FLAGS (\Seen \Deleted) and EXPUNGE. A crash between the
    submit and the mark fetches the mail again next time, and intake's
    idempotency on the Message-ID makes that a repeat: nothing is lost and
    nothing is taken twice. When intake or Redis is unavailable the poll
    stops and the rest waits for the next one.

    A message the poller cannot take must never block the mail after it
    (issue 8). Before a message is parsed its attempts are counted in Redis
    (opd:mail:tries:BOX:UIDVALIDITY:UID), so that a crash on it counts too;
    acceptance deletes the count, an outage undoes it (not the message's
    fault). A message rejected for good is tried again at the next polls
    (a configuration mistake may have been fixed meanwhile) and, once it has
    failed channels.email.quarantine.after times, or crashed the poller that
    often, it is moved to the quarantine folder unparsed. */
#include "email.h"
#include "opd_log.h"
#include "opd_mailer.h"
#include "opd_redis.h"
#include "opd_schema.h"
#include "opd_util.h"
#include <curl/curl.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define INTAKE_TIMEOUT_MS 10000
#define MAX_PER_POLL 5000
#define UIDS_PER_COMMAND 200
#define FETCH_BATCH 64   //  messages fetched before they are delivered
#define IN_FLIGHT 32     //  submissions waiting for intake's answer
#define TRIES_TTL_S (14 * 86400)  //  a count of attempts is forgotten after two weeks

typedef struct {
    const opd_imap_t *conf;  //  borrowed from the configuration
    CURL *curl;
    int64_t next_at;         //  monotonic ms of the next poll
    long polls, delivered, rejected;
} mailbox_t;

typedef struct {
    char *data;
    size_t len, cap;
    size_t max;
    bool overflow;
} buf_t;

static size_t
s_write (char *ptr, size_t size, size_t n, void *user)
{
    buf_t *b = user;
    size_t add = size * n;
    if (b->len + add > b->max) {
        b->overflow = true;
        return 0;
    }
    if (b->len + add + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 65536;
        while (cap < b->len + add + 1)
            cap *= 2;
        char *grown = realloc (b->data, cap);
        if (!grown)
            return 0;
        b->data = grown;
        b->cap = cap;
    }
    memcpy (b->data + b->len, ptr, add);
    b->len += add;
    b->data[b->len] = 0;
    return add;
}

//  The mailbox URL without a trailing slash.
static char *
s_base_url (const mailbox_t *mb)
{
    char *url = opd_strdup (mb->conf->url);
    size_t len = strlen (url);
    while (len && url[len - 1] == '/')
        url[--len] = 0;
    return url;
}

static void
s_setup_handle (mailbox_t *mb, CURL **cp)
{
    if (*cp)
        curl_easy_reset (*cp);
    else
        *cp = curl_easy_init ();
    CURL *c = *cp;
    if (mb->conf->username)
        curl_easy_setopt (c, CURLOPT_USERNAME, mb->conf->username);
    if (mb->conf->password)
        curl_easy_setopt (c, CURLOPT_PASSWORD, mb->conf->password);
    curl_easy_setopt (c, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    curl_easy_setopt (c, CURLOPT_TIMEOUT_MS, 120000L);
    curl_easy_setopt (c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt (c, CURLOPT_WRITEFUNCTION, s_write);
    curl_easy_setopt (c, CURLOPT_PROTOCOLS_STR, "imap,imaps");
}

static void
s_setup (mailbox_t *mb)
{
    s_setup_handle (mb, &mb->curl);
}

//  Runs one IMAP request; url is the mailbox (custom command) or a message.
//  Returns 0, or -1 after logging.
static int
s_perform (mailbox_t *mb, size_t index, const char *url, const char *custom, buf_t *out)
{
    CURL *c = mb->curl;
    curl_easy_setopt (c, CURLOPT_URL, url);
    curl_easy_setopt (c, CURLOPT_CUSTOMREQUEST, custom);
    curl_easy_setopt (c, CURLOPT_WRITEDATA, out);
    CURLcode rc = curl_easy_perform (c);
    if (rc != CURLE_OK) {
        //  The URL is logged without the user or password (they are options).
        opd_warn ("imap failed mailbox=%zu command=\"%.20s\" error=\"%s\"", index,
                  custom ? custom : "FETCH", curl_easy_strerror (rc));
        return -1;
    }
    return 0;
}

//  Parses "* SEARCH 3 4 5" lines into uids; returns the count.
static size_t
s_parse_search (const char *text, unsigned long *uids, size_t max)
{
    size_t n = 0;
    for (const char *p = text; p && *p && n < max; p = strchr (p, '\n') ? strchr (p, '\n') + 1 : NULL) {
        if (strncmp (p, "* SEARCH", 8))
            continue;
        const char *q = p + 8;
        while (*q && *q != '\r' && *q != '\n' && n < max) {
            char *end;
            unsigned long v = strtoul (q, &end, 10);
            if (end == q) {
                q++;
                continue;
            }
            uids[n++] = v;
            q = end;
        }
    }
    return n;
}

//  Runs "UID <verb> <set> <args>" over uids in chunks. Returns 0 or -1.
static int
s_uid_command (mailbox_t *mb, size_t index, const char *url, const char *verb, const unsigned long *uids,
               size_t n, const char *args)
{
    for (size_t i = 0; i < n; i += UIDS_PER_COMMAND) {
        size_t cap = 64 + strlen (args) + UIDS_PER_COMMAND * 12;
        char *cmd = opd_calloc (1, cap);
        size_t len = (size_t) snprintf (cmd, cap, "UID %s ", verb);
        for (size_t k = i; k < n && k < i + UIDS_PER_COMMAND; k++)
            len += (size_t) snprintf (cmd + len, cap - len, "%s%lu", k > i ? "," : "", uids[k]);
        snprintf (cmd + len, cap - len, " %s", args);
        buf_t ignore = {0};
        ignore.max = 1048576;
        int rc = s_perform (mb, index, url, cmd, &ignore);
        free (ignore.data);
        free (cmd);
        if (rc)
            return -1;
    }
    return 0;
}

//  Moves uids to folder: UID MOVE, or COPY, flag deleted and expunge where
//  the server lacks MOVE (RFC 6851).
static int
s_move (mailbox_t *mb, size_t index, const char *url, const unsigned long *uids, size_t n, const char *folder)
{
    char *args = opd_sprintf ("\"%s\"", folder);
    int rc = s_uid_command (mb, index, url, "MOVE", uids, n, args);
    if (rc) {
        rc = s_uid_command (mb, index, url, "COPY", uids, n, args);
        if (!rc)
            rc = s_uid_command (mb, index, url, "STORE", uids, n, "+FLAGS.SILENT (\\Seen \\Deleted)");
        buf_t ignore = {0};
        ignore.max = 1048576;
        if (!rc)
            rc = s_perform (mb, index, url, "EXPUNGE", &ignore);
        free (ignore.data);
    }
    free (args);
    return rc;
}

//  Marks what intake accepted: moved, or flagged deleted and expunged.
static int
s_mark_done (mailbox_t *mb, size_t index, const char *url, const unsigned long *uids, size_t n)
{
    if (!n)
        return 0;
    if (mb->conf->move_to)
        return s_move (mb, index, url, uids, n, mb->conf->move_to);
    int rc = s_uid_command (mb, index, url, "STORE", uids, n, "+FLAGS.SILENT (\\Seen \\Deleted)");
    buf_t ignore = {0};
    ignore.max = 1048576;
    if (!rc)
        rc = s_perform (mb, index, url, "EXPUNGE", &ignore);
    free (ignore.data);
    return rc;
}

//  The mailbox's UIDVALIDITY (STATUS), 0 when the server does not say: UIDs
//  name messages only together with it.
static unsigned long
s_uidvalidity (mailbox_t *mb, size_t index, const char *url)
{
    const char *p = strstr (url, "://");
    p = p ? strchr (p + 3, '/') : NULL;
    char *box = p && p[1] ? curl_easy_unescape (mb->curl, p + 1, 0, NULL) : NULL;
    unsigned long v = 0;
    if (!box || strpbrk (box, "\"\\\r\n;?")) {
        curl_free (box);
        return 0;
    }
    char *cmd = opd_sprintf ("STATUS \"%s\" (UIDVALIDITY)", box);
    curl_free (box);
    buf_t out = {0};
    out.max = 65536;
    if (!s_perform (mb, index, url, cmd, &out) && out.data) {
        const char *at = strstr (out.data, "UIDVALIDITY ");
        if (at)
            v = strtoul (at + 12, NULL, 10);
    }
    free (out.data);
    free (cmd);
    return v;
}

//  One fetched message of a batch.
typedef struct {
    unsigned long uid;
    buf_t msg;
    CURLcode rc;
} fetched_t;

//  Fetches n messages, one UID FETCH each on the connection that searched
//  (libcurl returns only the first message of a UID range). Other IMAP
//  connections fetching at once were tried and were slower: every fetch
//  sets \Seen, and each connection is then told of every other one's flag
//  changes. Each message gets its bytes or its error in f[].
static void
s_fetch_batch (mailbox_t *mb, size_t index, const char *url, fetched_t *f, size_t n, size_t max)
{
    for (size_t i = 0; i < n; i++) {
        f[i].msg.max = max;
        char *murl = opd_sprintf ("%s/;UID=%lu", url, f[i].uid);
        f[i].rc = s_perform (mb, index, murl, NULL, &f[i].msg) ? CURLE_RECV_ERROR : CURLE_OK;
        free (murl);
        if (f[i].rc != CURLE_OK) {
            if (f[i].msg.overflow)
                s_setup (mb);  //  the connection is in doubt after a cut-off fetch
            else {
                for (size_t k = i + 1; k < n; k++)
                    f[k].rc = CURLE_RECV_ERROR;  //  the rest waits for the next poll
                return;
            }
        }
    }
}

//  A submission waiting for intake's answer.
typedef struct {
    unsigned long uid;
    opd_mail_job_t *job;
} pending_t;

typedef struct {
    mailbox_t *mb;
    size_t index;
    opd_mailer_t *mailer;
    pending_t pend[IN_FLIGHT];
    size_t head, npend;   //  a ring, oldest at head
    unsigned long *done, *quar;
    size_t ndone, nquar;
    bool stop;            //  intake or Redis unavailable: the rest waits
    opd_redis_t *redis;   //  the attempt counts
    char box[17];         //  the mail_tries key's BOX (16 hex of a SHA-256)
    char uidvalidity[24]; //  and its UIDVALIDITY, in decimal
    int max_failures;
} poll_t;

//  The mail_tries key of uid in this poll's mailbox (the buffer holds 96
//  bytes: BOX, UIDVALIDITY and UID are at most 16, 20 and 20 characters).
static void
s_tries_key (const poll_t *p, unsigned long uid, char *key, size_t size)
{
    char text[24];
    snprintf (text, sizeof text, "%lu", uid);
    opd_key_mail_tries (key, size, p->box, p->uidvalidity, text);
}

//  Counts one more attempt on uid, durably, before anything is done with
//  it. Returns the attempts so far, or -1 when Redis is unavailable.
static long long
s_try_count (poll_t *p, unsigned long uid)
{
    char key[96];
    s_tries_key (p, uid, key, sizeof key);
    opd_args_t a;
    opd_args_init (&a);
    opd_args_add (&a, "INCR");
    opd_args_add (&a, key);
    int rc = opd_redis_append_argv (p->redis, &a);
    opd_args_free (&a);
    opd_args_init (&a);
    opd_args_add (&a, "EXPIRE");
    opd_args_add (&a, key);
    opd_args_addi (&a, TRIES_TTL_S);
    if (!rc)
        rc = opd_redis_append_argv (p->redis, &a);
    opd_args_free (&a);
    long long n = -1;
    for (int i = 0; i < 2 && !rc; i++) {
        redisReply *r = opd_redis_get_reply (p->redis);
        if (!r) {
            opd_redis_disconnect (p->redis);
            return -1;
        }
        if (i == 0 && r->type == REDIS_REPLY_INTEGER)
            n = r->integer;
        freeReplyObject (r);
    }
    return n;
}

//  Forgets (DEL) or takes back (DECR) the attempt on uid.
static void
s_try_end (poll_t *p, unsigned long uid, const char *verb)
{
    char key[96];
    s_tries_key (p, uid, key, sizeof key);
    redisReply *r = opd_redis_command (p->redis, "%s %s", verb, key);
    if (r)
        freeReplyObject (r);
}

static void
s_outcome (poll_t *p, unsigned long uid, int code, const opd_mail_result_t *res)
{
    if (code == OPD_MAIL_OK) {
        p->done[p->ndone++] = uid;
        s_try_end (p, uid, "DEL");
        opd_debug ("delivered mailbox=%zu uid=%lu action=%s ticket=%s", p->index, uid, res->action,
                   res->ticket_id[0] ? res->ticket_id : "-");
        if (strcmp (res->action, "created") && strcmp (res->action, "comment") && strcmp (res->action, "repeat"))
            opd_info ("dropped mailbox=%zu uid=%lu action=%s %s", p->index, uid, res->action, res->reason);
    }
    else if (code == OPD_MAIL_DATAERR) {
        //  A failure of the message's own: counted; it is tried again at the
        //  next polls until it has failed max_failures times. It never
        //  stops the rest.
        long long tries = s_try_count (p, uid);
        opd_warn ("rejected mailbox=%zu uid=%lu failures=%lld of=%d reason=\"%s\"", p->index, uid, tries,
                  p->max_failures, res->reason);
        if (tries >= p->max_failures)
            p->quar[p->nquar++] = uid;
    }
    else {
        if (!p->stop)
            opd_warn ("unavailable mailbox=%zu uid=%lu reason=\"%s\"; the rest waits for the next poll",
                      p->index, uid, res->reason);
        p->stop = true;
    }
}

//  Takes the answer to the oldest submission in flight. When none comes in
//  time the client has lost every one in flight: they all end unavailable.
static void
s_receive_one (poll_t *p)
{
    opd_intake_client_t *client = opd_mailer_intake (p->mailer);
    opd_intake_reply_t reply;
    int rc = opd_intake_client_recv (client, &reply);
    do {
        pending_t *pd = &p->pend[p->head];
        opd_mail_result_t res;
        int code = opd_mailer_finish (p->mailer, &pd->job, rc, &reply, &res);
        s_outcome (p, pd->uid, code, &res);
        p->head = (p->head + 1) % IN_FLIGHT;
        p->npend--;
    } while (rc == -1 && p->npend > 0);
}

static void
s_drain (poll_t *p)
{
    while (p->npend > 0)
        s_receive_one (p);
}

//  True when job names a message that is still in flight.
static bool
s_waits_for_pending (poll_t *p, const opd_mail_job_t *job)
{
    for (size_t k = 0; k < p->npend; k++) {
        const opd_mail_job_t *other = p->pend[(p->head + k) % IN_FLIGHT].job;
        if (opd_mail_job_refers (job, opd_mail_job_message_id (other)))
            return true;
    }
    return false;
}

//  Counts an attempt on uid before it is parsed, so that a crash on it is
//  counted too. Returns false when the message is not to be touched: Redis
//  is unavailable (the poll stops), or it failed max_failures times already
//  (set aside unparsed: it may be what crashed the poller).
static bool
s_attempt (poll_t *p, unsigned long uid)
{
    long long tries = s_try_count (p, uid);
    if (tries < 0) {
        if (!p->stop)
            opd_warn ("unavailable mailbox=%zu uid=%lu reason=\"Redis is unavailable: %s\"; the rest waits for the "
                      "next poll",
                      p->index, uid, opd_redis_error (p->redis));
        p->stop = true;
        return false;
    }
    if (tries > p->max_failures) {
        opd_warn ("failed before mailbox=%zu uid=%lu failures=%lld; set aside unread", p->index, uid, tries - 1);
        p->quar[p->nquar++] = uid;
        return false;
    }
    return true;
}

//  Delivers one fetched message, keeping it in flight.
static void
s_deliver (poll_t *p, unsigned long uid, const char *data, size_t len)
{
    if (!s_attempt (p, uid))
        return;
    opd_mail_job_t *job = NULL;
    opd_mail_result_t res;
    int code = opd_mailer_prepare (p->mailer, data, len, &job, &res);
    if (job && s_waits_for_pending (p, job)) {
        //  Its thread lookup ran before that message was stored: wait for
        //  it, then look again.
        opd_mail_job_t *stale = job;
        opd_mail_result_t ignore;
        opd_intake_reply_t none;
        memset (&none, 0, sizeof none);
        opd_mailer_finish (p->mailer, &stale, -2, &none, &ignore);
        s_drain (p);
        if (p->stop)
            return;
        job = NULL;
        code = opd_mailer_prepare (p->mailer, data, len, &job, &res);
    }
    //  Parsed without a crash: the attempt is taken back, only failures
    //  of the message's own count from here (s_outcome).
    s_try_end (p, uid, "DECR");
    if (!job) {
        s_outcome (p, uid, code, &res);
        return;
    }
    size_t flen;
    const char *frame = opd_mail_job_frame (job, &flen);
    opd_intake_client_t *client = opd_mailer_intake (p->mailer);
    if (opd_intake_client_send (client, frame, flen)) {
        //  The client was made anew: whatever was in flight is lost too.
        opd_intake_reply_t none;
        memset (&none, 0, sizeof none);
        code = opd_mailer_finish (p->mailer, &job, -1, &none, &res);
        s_outcome (p, uid, code, &res);
        while (p->npend > 0) {
            pending_t *pd = &p->pend[p->head];
            code = opd_mailer_finish (p->mailer, &pd->job, -1, &none, &res);
            s_outcome (p, pd->uid, code, &res);
            p->head = (p->head + 1) % IN_FLIGHT;
            p->npend--;
        }
        return;
    }
    p->pend[(p->head + p->npend) % IN_FLIGHT] = (pending_t) {uid, job};
    p->npend++;
    if (p->npend == IN_FLIGHT)
        s_receive_one (p);
}

//  Moves the messages that failed too often to the quarantine folder
//  (created when missing), one log line each, and forgets their counts.
static void
s_quarantine (const opd_config_t *cfg, poll_t *p, const char *url)
{
    const char *folder = cfg->email_quarantine_folder;
    char *create = opd_sprintf ("CREATE \"%s\"", folder);
    buf_t ignore = {0};
    ignore.max = 65536;
    //  Fails when the folder exists (not logged); the move says whether it worked.
    curl_easy_setopt (p->mb->curl, CURLOPT_URL, url);
    curl_easy_setopt (p->mb->curl, CURLOPT_CUSTOMREQUEST, create);
    curl_easy_setopt (p->mb->curl, CURLOPT_WRITEDATA, &ignore);
    curl_easy_perform (p->mb->curl);
    free (ignore.data);
    free (create);
    if (s_move (p->mb, p->index, url, p->quar, p->nquar, folder)) {
        opd_warn ("could not quarantine mailbox=%zu count=%zu; tried again next poll", p->index, p->nquar);
        return;
    }
    for (size_t i = 0; i < p->nquar; i++) {
        opd_warn ("quarantined mailbox=%zu uid=%lu folder=\"%s\" after=%d", p->index, p->quar[i], folder,
                  p->max_failures);
        s_try_end (p, p->quar[i], "DEL");
    }
}

static void
s_poll (const opd_config_t *cfg, mailbox_t *mb, size_t index, opd_mailer_t *mailer, opd_redis_t *redis)
{
    mb->polls++;
    size_t max = opd_mail_max_input (cfg);
    char *url = s_base_url (mb);
    buf_t search = {0};
    search.max = 16 * 1048576;
    //  A NOOP first: a long-lived session learns of new mail when the
    //  server syncs its view, which a NOOP does and a SEARCH may not.
    buf_t noop = {0};
    noop.max = 1048576;
    s_perform (mb, index, url, "NOOP", &noop);
    free (noop.data);
    if (s_perform (mb, index, url, "UID SEARCH UNDELETED UNKEYWORD $OpdeskRejected", &search)) {
        free (search.data);
        free (url);
        s_setup (mb);  //  a fresh connection next time
        return;
    }
    unsigned long *uids = opd_calloc (MAX_PER_POLL, sizeof (unsigned long));
    size_t n = search.data ? s_parse_search (search.data, uids, MAX_PER_POLL) : 0;
    free (search.data);
    poll_t p = {.mb = mb, .index = index, .mailer = mailer, .redis = redis, .max_failures = cfg->email_max_failures};
    p.done = opd_calloc (n + 1, sizeof (unsigned long));
    p.quar = opd_calloc (n + 1, sizeof (unsigned long));
    if (n) {
        //  The mailbox by a hash of its URL and user (no address in a key).
        char *who = opd_sprintf ("%s\n%s", mb->conf->url, mb->conf->username ? mb->conf->username : "");
        char *hex = g_compute_checksum_for_string (G_CHECKSUM_SHA256, who, -1);
        g_strlcpy (p.box, hex, sizeof p.box);
        snprintf (p.uidvalidity, sizeof p.uidvalidity, "%lu", s_uidvalidity (mb, index, url));
        g_free (hex);
        free (who);
    }
    int64_t start = opd_mono_ms ();
    fetched_t *f = opd_calloc (FETCH_BATCH, sizeof (fetched_t));
    int64_t fetch_ms = 0;
    for (size_t i = 0; i < n && !p.stop && !opd_service_stopping (); i += FETCH_BATCH) {
        size_t nb = n - i < FETCH_BATCH ? n - i : FETCH_BATCH;
        memset (f, 0, FETCH_BATCH * sizeof (fetched_t));
        for (size_t k = 0; k < nb; k++)
            f[k].uid = uids[i + k];
        int64_t t0 = opd_mono_ms ();
        s_fetch_batch (mb, index, url, f, nb, max);
        fetch_ms += opd_mono_ms () - t0;
        for (size_t k = 0; k < nb && !p.stop; k++) {
            if (f[k].msg.overflow) {
                opd_mail_result_t res = {.code = OPD_MAIL_DATAERR};
                snprintf (res.action, sizeof res.action, "rejected");
                snprintf (res.reason, sizeof res.reason, "larger than %zu bytes", max);
                s_outcome (&p, f[k].uid, OPD_MAIL_DATAERR, &res);  //  never parsed: no attempt to count
            }
            else if (f[k].rc != CURLE_OK)
                p.stop = true;  //  logged by s_perform
            else
                s_deliver (&p, f[k].uid, f[k].msg.data ? f[k].msg.data : "", f[k].msg.len);
        }
        //  Every answer is in before the next batch: memory stays bounded
        //  by one batch, and a stop is known before more is fetched.
        s_drain (&p);
        for (size_t k = 0; k < nb; k++)
            free (f[k].msg.data);
    }
    free (f);
    int64_t mark_start = opd_mono_ms ();
    if (s_mark_done (mb, index, url, p.done, p.ndone))
        opd_warn ("could not mark delivered mail mailbox=%zu count=%zu; it is fetched again (a repeat)",
                  index, p.ndone);
    if (p.nquar)
        s_quarantine (cfg, &p, url);
    mb->delivered += (long) p.ndone;
    mb->rejected += (long) p.nquar;
    if (p.ndone || p.nquar)
        opd_info ("polled mailbox=%zu found=%zu delivered=%zu quarantined=%zu ms=%lld fetch_ms=%lld mark_ms=%lld",
                  index, n, p.ndone, p.nquar, (long long) (opd_mono_ms () - start), (long long) fetch_ms,
                  (long long) (opd_mono_ms () - mark_start));
    free (p.done);
    free (p.quar);
    free (uids);
    free (url);
}

static mailbox_t *
s_mailboxes (const opd_config_t *cfg)
{
    mailbox_t *mbs = opd_calloc (cfg->nimap + 1, sizeof (mailbox_t));
    for (size_t i = 0; i < cfg->nimap; i++) {
        mbs[i].conf = &cfg->imap[i];
        s_setup (&mbs[i]);
    }
    return mbs;
}

static void
s_mailboxes_free (mailbox_t *mbs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        curl_easy_cleanup (mbs[i].curl);
    free (mbs);
}

int
email_run (opd_service_t *svc)
{
    curl_global_init (CURL_GLOBAL_DEFAULT);
    for (size_t i = 0; i < svc->cfg->nimap; i++) {
        const char *mv = svc->cfg->imap[i].move_to;
        if (mv && strpbrk (mv, "\"\\\r\n")) {
            opd_error ("channels.email.imap[%zu].move_to must not contain quotes, backslashes or line ends", i);
            curl_global_cleanup ();
            return 2;
        }
    }
    opd_mailer_t *mailer = opd_mailer_new (svc->cfg, INTAKE_TIMEOUT_MS);
    opd_redis_t *redis = opd_redis_new (svc->cfg);
    if (!mailer) {
        opd_redis_destroy (&redis);
        curl_global_cleanup ();
        return 1;  //  an endpoint ZeroMQ does not accept (logged)
    }
    size_t nmb = svc->cfg->nimap;
    mailbox_t *mbs = s_mailboxes (svc->cfg);
    opd_info ("ready mailboxes=%zu intake=%s", nmb, svc->cfg->ep_intake);
    while (!opd_service_stopping ()) {
        if (opd_service_reload (svc) == 1) {
            s_mailboxes_free (mbs, nmb);
            opd_mailer_destroy (&mailer);
            opd_redis_destroy (&redis);
            mailer = opd_mailer_new (svc->cfg, INTAKE_TIMEOUT_MS);
            redis = opd_redis_new (svc->cfg);
            nmb = svc->cfg->nimap;
            mbs = s_mailboxes (svc->cfg);
            opd_info ("reloaded mailboxes=%zu", nmb);
        }
        int64_t now = opd_mono_ms (), wait = 200;
        for (size_t i = 0; i < nmb && mailer && !opd_service_stopping (); i++) {
            if (now >= mbs[i].next_at) {
                s_poll (svc->cfg, &mbs[i], i, mailer, redis);
                mbs[i].next_at = opd_mono_ms () + mbs[i].conf->interval_ms;
            }
            int64_t left = mbs[i].next_at - opd_mono_ms ();
            if (left < wait)
                wait = left;
        }
        if (wait > 0) {
            struct timespec ts = {(time_t) (wait / 1000), (long) (wait % 1000) * 1000000L};
            nanosleep (&ts, NULL);
        }
    }
    long delivered = 0, rejected = 0;
    for (size_t i = 0; i < nmb; i++) {
        delivered += mbs[i].delivered;
        rejected += mbs[i].rejected;
    }
    opd_info ("stats delivered=%ld rejected=%ld", delivered, rejected);
    s_mailboxes_free (mbs, nmb);
    opd_mailer_destroy (&mailer);
    opd_redis_destroy (&redis);
    curl_global_cleanup ();
    return 0;
}
