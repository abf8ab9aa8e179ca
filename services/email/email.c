/*  email: see email.h.

    One poll of a mailbox: UID SEARCH for what is still there (processed
    mail is expunged or moved, mail rejected for good carries the keyword
    $OpdeskRejected), then for each UID: fetch it (libcurl's ;UID= URL,
    UID FETCH BODY[]), deliver it to intake (opd_mailer_deliver), and collect
    the UIDs intake accepted. Only then are they marked: UID MOVE to move_to,
    or UID STORE +FLAGS (\Seen \Deleted) and EXPUNGE. A crash between the
    submit and the mark fetches the mail again next time, and intake's
    idempotency on the Message-ID makes that a repeat: nothing is lost and
    nothing is taken twice. When intake or Redis is unavailable the poll
    stops and the rest waits for the next one. */
#include "email.h"
#include "opd_log.h"
#include "opd_mail.h"
#include "opd_util.h"
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#define INTAKE_TIMEOUT_MS 10000
#define MAX_PER_POLL 5000
#define UIDS_PER_COMMAND 200
#define MAX_MESSAGE (64 * 1048576)

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
s_setup (mailbox_t *mb)
{
    if (mb->curl)
        curl_easy_reset (mb->curl);
    else
        mb->curl = curl_easy_init ();
    CURL *c = mb->curl;
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

//  Marks what intake accepted: moved, or flagged deleted and expunged.
static int
s_mark_done (mailbox_t *mb, size_t index, const char *url, const unsigned long *uids, size_t n)
{
    if (!n)
        return 0;
    if (mb->conf->move_to) {
        char *args = opd_sprintf ("\"%s\"", mb->conf->move_to);
        int rc = s_uid_command (mb, index, url, "MOVE", uids, n, args);
        if (rc) {
            //  Servers without MOVE (RFC 6851): copy, then delete.
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
    int rc = s_uid_command (mb, index, url, "STORE", uids, n, "+FLAGS.SILENT (\\Seen \\Deleted)");
    buf_t ignore = {0};
    ignore.max = 1048576;
    if (!rc)
        rc = s_perform (mb, index, url, "EXPUNGE", &ignore);
    free (ignore.data);
    return rc;
}

static void
s_poll (mailbox_t *mb, size_t index, opd_mailer_t *mailer)
{
    mb->polls++;
    char *url = s_base_url (mb);
    buf_t search = {0};
    search.max = 16 * 1048576;
    if (s_perform (mb, index, url, "UID SEARCH UNDELETED UNKEYWORD $OpdeskRejected", &search)) {
        free (search.data);
        free (url);
        s_setup (mb);  //  a fresh connection next time
        return;
    }
    unsigned long *uids = opd_calloc (MAX_PER_POLL, sizeof (unsigned long));
    size_t n = search.data ? s_parse_search (search.data, uids, MAX_PER_POLL) : 0;
    free (search.data);
    unsigned long *done = opd_calloc (n + 1, sizeof (unsigned long));
    unsigned long *bad = opd_calloc (n + 1, sizeof (unsigned long));
    size_t ndone = 0, nbad = 0;
    int64_t start = opd_mono_ms ();
    for (size_t i = 0; i < n && !opd_service_stopping (); i++) {
        char *murl = opd_sprintf ("%s/;UID=%lu", url, uids[i]);
        buf_t msg = {0};
        msg.max = MAX_MESSAGE;
        int rc = s_perform (mb, index, murl, NULL, &msg);
        free (murl);
        if (rc && !msg.overflow) {
            free (msg.data);
            break;
        }
        opd_mail_result_t res;
        int code;
        if (msg.overflow) {
            code = OPD_MAIL_DATAERR;
            snprintf (res.action, sizeof res.action, "rejected");
            snprintf (res.reason, sizeof res.reason, "larger than %d bytes", MAX_MESSAGE);
            res.ticket_id[0] = 0;
            s_setup (mb);
        }
        else
            code = opd_mailer_deliver (mailer, msg.data ? msg.data : "", msg.len, &res);
        free (msg.data);
        if (code == OPD_MAIL_OK) {
            done[ndone++] = uids[i];
            opd_debug ("delivered mailbox=%zu uid=%lu action=%s ticket=%s", index, uids[i], res.action,
                       res.ticket_id[0] ? res.ticket_id : "-");
            if (strcmp (res.action, "created") && strcmp (res.action, "comment") && strcmp (res.action, "repeat"))
                opd_info ("dropped mailbox=%zu uid=%lu action=%s %s", index, uids[i], res.action, res.reason);
        }
        else if (code == OPD_MAIL_DATAERR) {
            bad[nbad++] = uids[i];
            opd_warn ("rejected mailbox=%zu uid=%lu reason=\"%s\"", index, uids[i], res.reason);
        }
        else {
            opd_warn ("unavailable mailbox=%zu uid=%lu reason=\"%s\"; the rest waits for the next poll",
                      index, uids[i], res.reason);
            break;
        }
    }
    if (s_mark_done (mb, index, url, done, ndone))
        opd_warn ("could not mark delivered mail mailbox=%zu count=%zu; it is fetched again (a repeat)",
                  index, ndone);
    if (nbad && s_uid_command (mb, index, url, "STORE", bad, nbad, "+FLAGS.SILENT (\\Seen $OpdeskRejected)"))
        opd_warn ("could not flag rejected mail mailbox=%zu count=%zu", index, nbad);
    mb->delivered += (long) ndone;
    mb->rejected += (long) nbad;
    if (ndone || nbad)
        opd_info ("polled mailbox=%zu found=%zu delivered=%zu rejected=%zu ms=%lld", index, n, ndone, nbad,
                  (long long) (opd_mono_ms () - start));
    free (done);
    free (bad);
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
    void *ctx = zmq_ctx_new ();
    opd_mailer_t *mailer = opd_mailer_new (svc->cfg, ctx, INTAKE_TIMEOUT_MS);
    size_t nmb = svc->cfg->nimap;
    mailbox_t *mbs = s_mailboxes (svc->cfg);
    opd_info ("ready mailboxes=%zu intake=%s", nmb, svc->cfg->ep_intake);
    while (!opd_service_stopping ()) {
        if (opd_service_reload (svc) == 1) {
            s_mailboxes_free (mbs, nmb);
            opd_mailer_destroy (&mailer);
            mailer = opd_mailer_new (svc->cfg, ctx, INTAKE_TIMEOUT_MS);
            nmb = svc->cfg->nimap;
            mbs = s_mailboxes (svc->cfg);
            opd_info ("reloaded mailboxes=%zu", nmb);
        }
        int64_t now = opd_mono_ms (), wait = 200;
        for (size_t i = 0; i < nmb && !opd_service_stopping (); i++) {
            if (now >= mbs[i].next_at) {
                s_poll (&mbs[i], i, mailer);
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
    zmq_ctx_term (ctx);
    curl_global_cleanup ();
    return 0;
}
