/*  opd_mailer: see opd_mailer.h. One message, parsed by
    opd_mail_parse, is checked for loops, the rate limit and threading
    (one pipelined Redis round trip), judged by opd_mail_trust, its
    attachments stored, and packed as intake.submit; intake's answer becomes
    the mail-gate's exit code. Kept apart from the parser, which needs no
    Redis and no intake (the fuzz harness links the parser alone). */
#include "opd_intake.h"
#include "opd_intake_client.h"
#include "opd_blob.h"
#include "opd_log.h"
#include "opd_mail_reqtype.h"
#include "opd_mail_trust.h"
#include "opd_mailer.h"
#include "opd_rate.h"
#include "opd_redis.h"
#include "opd_schema.h"
#include "opd_submit_msg.h"
#include "opd_util.h"
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <jansson.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

//  --- Delivery -------------------------------------------------------------

size_t
opd_mail_max_input (const opd_config_t *cfg)
{
    //  base64: 4 bytes per 3, and CRLF after every 76 characters.
    uint64_t att = (uint64_t) (cfg->max_attachment_bytes > 0 ? cfg->max_attachment_bytes : 0);
    uint64_t b64 = (att + 2) / 3 * 4;
    b64 += b64 / 76 * 2;
    uint64_t max = b64 + 3 * (uint64_t) cfg->body_bytes + 1048576;
    uint64_t floor = 4 * (uint64_t) cfg->frame_bytes;
    return (size_t) (max > floor ? max : floor);
}

struct _opd_mailer_t {
    const opd_config_t *cfg;
    opd_intake_client_t *intake;
    int timeout_ms;
    opd_redis_t *redis;  //  connects on first use: mail refused early never does
};

opd_mailer_t *
opd_mailer_new (const opd_config_t *cfg, int timeout_ms)
{
    opd_intake_client_t *intake = opd_intake_client_new (cfg->ep_intake, &cfg->curve, timeout_ms);
    if (!intake)
        return NULL;
    opd_mailer_t *self = opd_calloc (1, sizeof *self);
    self->cfg = cfg;
    self->intake = intake;
    self->timeout_ms = timeout_ms;
    self->redis = opd_redis_new (cfg);
    opd_redis_set_timeout (self->redis, timeout_ms < 5000 ? timeout_ms : 5000);
    return self;
}

void
opd_mailer_destroy (opd_mailer_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    opd_mailer_t *self = *self_p;
    opd_intake_client_destroy (&self->intake);
    opd_redis_destroy (&self->redis);
    free (self);
    *self_p = NULL;
}

opd_intake_client_t *
opd_mailer_intake (opd_mailer_t *self)
{
    return self->intake;
}

static void
s_result (opd_mail_result_t *res, int code, const char *action, const char *fmt, ...)
    __attribute__ ((format (printf, 4, 5)));

static void
s_result (opd_mail_result_t *res, int code, const char *action, const char *fmt, ...)
{
    res->code = code;
    snprintf (res->action, sizeof res->action, "%s", action);
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (res->reason, sizeof res->reason, fmt, ap);
    va_end (ap);
}

#define MAX_LOOKUPS 32

//  What the store is asked about one message, in one round trip: its
//  sender's rate limit, and each ticket or Message-ID that may thread it, in
//  order of preference.
typedef struct {
    const char *ref[MAX_LOOKUPS];
    bool is_ticket[MAX_LOOKUPS];  //  EXISTS opd:t:{<id>} rather than GET opd:ext:<ref>
    char id[MAX_LOOKUPS][64];     //  the ticket id when is_ticket
    size_t n;
    bool rate_limited;  //  past the sender's limit: stored, not acknowledged
    bool rate_dropped;  //  past ten times the limit: dropped
    int found;                    //  index of the first ref naming a ticket, -1 none
    char ticket[64];
} lookup_t;

static void
s_lookup_add (opd_mailer_t *self, lookup_t *lk, const char *ref)
{
    if (!ref || lk->n == MAX_LOOKUPS)
        return;
    const char *prefix = self->cfg->ticket_prefix;
    size_t i = lk->n++;
    lk->ref[i] = ref;
    lk->is_ticket[i] = opd_mail_msgid_ticket (ref, prefix, lk->id[i], sizeof lk->id[i]);
    if (!lk->is_ticket[i] && !g_ascii_strncasecmp (ref, prefix, strlen (prefix)) && ref[strlen (prefix)] == '-'
        && strlen (ref) < sizeof lk->id[i]) {
        snprintf (lk->id[i], sizeof lk->id[i], "%s", ref);
        lk->is_ticket[i] = true;
    }
}

//  Counts this message against its sender's limit, then looks up every
//  candidate in lk, pipelined. Returns 0, or -1 when Redis is unavailable.
static int
s_lookup (opd_mailer_t *self, const char *sender, lookup_t *lk)
{
    char *hex = g_compute_checksum_for_string (G_CHECKSUM_SHA256, sender, -1);
    char key[128];
    opd_key_rate_mail (key, sizeof key, hex);
    g_free (hex);
    //  The window starts with the first message (opd_rate).
    int64_t retry_ms;
    long long hits = opd_rate_hit (self->redis, key, self->cfg->email_rate_window_ms, &retry_ms);
    if (hits < 0)
        return -1;
    lk->rate_limited = hits > self->cfg->email_rate_per_sender;
    lk->rate_dropped = hits > 10LL * self->cfg->email_rate_per_sender;
    opd_args_t a;
    int rc = 0;
    for (size_t i = 0; i < lk->n && !rc; i++) {
        opd_args_init (&a);
        if (lk->is_ticket[i]) {
            opd_args_add (&a, "EXISTS");
            opd_args_addf (&a, OPD_KEY_TICKET_FMT, lk->id[i]);
        }
        else {
            opd_args_add (&a, "GET");
            opd_args_addf (&a, OPD_KEY_EXT_FMT, lk->ref[i]);
        }
        rc = opd_redis_append_argv (self->redis, &a);
        opd_args_free (&a);
    }
    if (rc)
        return -1;
    lk->found = -1;
    for (size_t i = 0; i < lk->n; i++) {
        redisReply *r = opd_redis_get_reply (self->redis);
        if (!r) {
            opd_redis_disconnect (self->redis);  //  the rest of the pipeline is lost
            return -1;
        }
        if (lk->found >= 0)
            ;  //  the first candidate found wins
        else if (lk->is_ticket[i] && r->type == REDIS_REPLY_INTEGER && r->integer == 1) {
            lk->found = (int) i;
            snprintf (lk->ticket, sizeof lk->ticket, "%s", lk->id[i]);
        }
        else if (!lk->is_ticket[i] && r->type == REDIS_REPLY_STRING && r->len < sizeof lk->ticket) {
            lk->found = (int) i;
            snprintf (lk->ticket, sizeof lk->ticket, "%s", r->str);
        }
        freeReplyObject (r);
    }
    return 0;
}

//  Keeps attachment bodies (up to the configured size) in the attachments
//  folder, named by their SHA-256 (opd_blob). Returns 0, or -1 when one
//  could not be written (the mail is tried again later).
static int
s_store_attachments (opd_mailer_t *self, opd_mail_t *m)
{
    const char *dir = self->cfg->attachments_dir;
    if (!dir || !m->natt)
        return 0;
    for (size_t i = 0; i < m->natt; i++) {
        opd_mail_attachment_t *a = &m->att[i];
        if ((int64_t) a->size > self->cfg->max_attachment_bytes || !a->data)
            continue;
        if (opd_blob_put (dir, a->sha256, a->data, a->size))
            return -1;
    }
    return 0;
}

//  The longest prefix of s of at most max bytes that ends on a character.
static size_t
s_utf8_prefix (const char *s, size_t max)
{
    size_t len = strlen (s);
    if (len <= max)
        return len;
    size_t n = max;
    while (n > 0 && ((unsigned char) s[n] & 0xC0) == 0x80)
        n--;
    return n;
}

//  s cut to at most max characters (not bytes); a new string.
static char *
s_chars (const char *s, glong max)
{
    const char *end = g_utf8_offset_to_pointer (s, MIN (g_utf8_strlen (s, -1), max));
    return g_strndup (s, (gsize) (end - s));
}

typedef struct {
    const char *reply_to;
    bool suppress_ack, sender_check;
    const char *body;
    const char *agent;   //  the agent opd_mail_trust believes it is, or NULL
    const char *request_type;  //  the type a new request's mail names (opd_mail_reqtype), or NULL
    json_t *fields;            //  its fields the mail gives, or NULL
} submit_t;

//  The mail's attachments as intake.submit's attachments (NULL when none).
static json_t *
s_attachments (const opd_mail_t *m)
{
    if (!m->natt)
        return NULL;
    json_t *arr = json_array ();
    for (size_t i = 0; i < m->natt; i++) {
        const opd_mail_attachment_t *a = &m->att[i];
        json_array_append_new (arr, json_pack ("{s:s%, s:s%, s:I, s:s}", "name", a->name,
                                               s_utf8_prefix (a->name, 255), "content_type", a->content_type,
                                               s_utf8_prefix (a->content_type, 255), "size", (json_int_t) a->size,
                                               "sha256", a->sha256));
    }
    return arr;
}

//  A new request's mail may name its request type and give its fields
//  (decision 140); intake then checks them as from any other channel.
static void
s_request_type (const opd_config_t *cfg, const opd_mail_t *m, submit_t *sb)
{
    const opd_reqtype_t *rt = opd_mail_reqtype (cfg, m);
    if (!rt)
        return;
    sb->request_type = rt->id;
    sb->fields = opd_mail_reqtype_fields (rt, m);
}

//  The longest body a frame can carry with room for the rest: overlong
//  text is cut rather than refused, the mail is still a request.
static size_t
s_body_max (const opd_config_t *cfg)
{
    int64_t max = cfg->body_bytes;
    int64_t reserve = cfg->frame_bytes / 4 < 262144 ? cfg->frame_bytes / 4 : 262144;
    if (max > cfg->frame_bytes - reserve)
        max = cfg->frame_bytes - reserve;
    return max < 0 ? 0 : (size_t) max;
}

static void
s_pack_submit (opd_mailer_t *self, const opd_mail_t *m, const submit_t *sb, msgpack_sbuffer *buf)
{
    const opd_config_t *cfg = self->cfg;
    GPtrArray *parts = g_ptr_array_new ();
    for (size_t i = 0; i < m->ncc; i++)
        if (!opd_config_desk_address (cfg, m->cc[i]) && strcmp (m->cc[i], m->from_email))
            g_ptr_array_add (parts, m->cc[i]);
    char *ext = g_strndup (m->external_id, s_utf8_prefix (m->external_id, 998));
    char *name = m->from_name ? s_chars (m->from_name, 200) : NULL;
    char *subject = s_chars (*m->subject ? m->subject : "(no subject)", 500);
    char *body = g_strndup (sb->body, s_utf8_prefix (sb->body, s_body_max (cfg)));
    json_t *att = s_attachments (m);
    opd_submit_msg_t msg = {.channel = "email", .external_id = ext, .received_at = opd_now_ms (),
                            .requester = {.name = name, .email = m->from_email}, .subject = subject,
                            .body = body, .suppress_ack = sb->suppress_ack, .sender_check = sb->sender_check,
                            .reply_to = sb->reply_to, .agent = sb->agent, .attachments = att,
                            .request_type = sb->request_type, .fields = sb->fields,
                            .participants = (const char *const *) parts->pdata,
                            .participants_count = parts->len};
    opd_submit_msg_pack (&msg, buf);  //  external id and subject are always set
    json_decref (att);
    g_free (ext);
    g_free (name);
    g_free (subject);
    g_free (body);
    g_ptr_array_free (parts, TRUE);
}

struct _opd_mail_job_t {
    opd_mail_t *m;
    char ticket[64];
    const char *trust;   //  opd_mail_trusted_agent's how (static), for the log
    submit_t sb;
    char *bounce_body;
    msgpack_sbuffer buf;
};

static void
s_job_destroy (opd_mail_job_t **job_p)
{
    opd_mail_job_t *job = *job_p;
    if (!job)
        return;
    msgpack_sbuffer_destroy (&job->buf);
    free (job->bounce_body);
    json_decref (job->sb.fields);
    opd_mail_destroy (&job->m);
    free (job);
    *job_p = NULL;
}

const char *
opd_mail_job_frame (const opd_mail_job_t *job, size_t *len)
{
    *len = job->buf.size;
    return job->buf.data;
}

bool
opd_mail_job_refers (const opd_mail_job_t *job, const char *message_id)
{
    for (size_t i = 0; message_id && i < job->m->nrefs; i++)
        if (!strcmp (job->m->refs[i], message_id))
            return true;
    return job->m->dsn_original && message_id && !strcmp (job->m->dsn_original, message_id);
}

const char *
opd_mail_job_message_id (const opd_mail_job_t *job)
{
    return job->m->message_id;
}

int
opd_mailer_prepare (opd_mailer_t *self, const char *data, size_t len, opd_mail_job_t **job_p,
                    opd_mail_result_t *res)
{
    memset (res, 0, sizeof *res);
    *job_p = NULL;
    const opd_config_t *cfg = self->cfg;
    if (len > opd_mail_max_input (cfg)) {
        s_result (res, OPD_MAIL_DATAERR, "rejected", "the message is larger than %zu bytes",
                  opd_mail_max_input (cfg));
        return res->code;
    }
    opd_mail_t *m = NULL;
    if (opd_mail_parse (data, len, &m)) {
        s_result (res, OPD_MAIL_DATAERR, "rejected", "not a mail message (no header or no sender address)");
        return res->code;
    }
    //  Mail the desk sent, coming back through a list or a forward: its own
    //  Message-ID, or its address on a message about a conversation (below).
    //  Other mail from one of the desk's addresses (a colleague forwarding a
    //  request from the shared mailbox) is a request like any other, kept
    //  without an acknowledgement (decision 179).
    const char *domain = cfg->smtp_from ? strrchr (cfg->smtp_from, '@') : NULL;
    bool own_id = m->message_id && !strncmp (m->message_id, "opdesk.", 7) && domain
                  && g_str_has_suffix (m->message_id, domain);
    if (own_id) {
        s_result (res, OPD_MAIL_OK, "own_mail", "mail the desk sent itself");
        opd_mail_destroy (&m);
        return res->code;
    }
    bool from_desk = opd_config_desk_address (cfg, m->from_email);
    bool bounce = m->dsn || m->from_daemon;
    //  Threading: a bounce names the message it is about; other mail the
    //  subject's tag, then In-Reply-To, then References.
    lookup_t lk = {.n = 0};
    char tag[64];
    if (bounce)
        s_lookup_add (self, &lk, m->dsn_original);
    else {
        if (opd_mail_subject_tag (opd_mail_subject_base (m->subject), cfg->ticket_prefix, tag, sizeof tag)
            || opd_mail_subject_tag (m->subject, cfg->ticket_prefix, tag, sizeof tag))
            s_lookup_add (self, &lk, tag);
        for (size_t i = 0; i < m->nrefs; i++)
            s_lookup_add (self, &lk, m->refs[i]);
    }
    if (from_desk && lk.n > 0) {
        s_result (res, OPD_MAIL_OK, "own_mail", "the desk's own mail about a conversation");
        opd_mail_destroy (&m);
        return res->code;
    }
    if (s_lookup (self, m->from_email, &lk)) {
        s_result (res, OPD_MAIL_TEMPFAIL, "unavailable", "Redis is unavailable: %s", opd_redis_error (self->redis));
        opd_mail_destroy (&m);
        return res->code;
    }
    //  Past the sender's limit mail is kept but not answered, so that a loop
    //  with an autoresponder stops; only a storm of ten times the limit is
    //  dropped (decision 172).
    if (lk.rate_dropped) {
        s_result (res, OPD_MAIL_OK, "rate_limited", "the sender is over %d messages per %lld ms",
                  10 * cfg->email_rate_per_sender, (long long) cfg->email_rate_window_ms);
        opd_mail_destroy (&m);
        return res->code;
    }
    if (lk.rate_limited)
        opd_warn ("a sender is over %d messages per %lld ms: stored without acknowledgement",
                  cfg->email_rate_per_sender, (long long) cfg->email_rate_window_ms);
    opd_mail_job_t *job = opd_calloc (1, sizeof *job);
    job->m = m;
    job->sb = (submit_t) {NULL, m->auto_submitted || m->bulk || lk.rate_limited || from_desk, false, m->body, NULL, NULL, NULL};
    if (bounce) {
        //  A bounce: a note on the ticket it concerns, never a new ticket.
        if (lk.found < 0) {
            s_result (res, OPD_MAIL_OK, "stray_bounce", "a bounce about no known message was dropped");
            s_job_destroy (&job);
            return res->code;
        }
        snprintf (job->ticket, sizeof job->ticket, "%s", lk.ticket);
        job->sb.reply_to = job->ticket;
        job->sb.suppress_ack = true;
        job->bounce_body = opd_sprintf ("Delivery failure report (bounce):\n\n%s", m->body);
        job->sb.body = job->bounce_body;
    }
    else if (lk.found >= 0) {
        snprintf (job->ticket, sizeof job->ticket, "%s", lk.ticket);
        job->sb.reply_to = job->ticket;
        job->sb.sender_check = true;
        //  The one decision on whether this mail speaks as an agent.
        opd_mail_claim_t claim = {m->from_email, m->rcpt, m->nrcpt, m->auth_results, m->nauth_results};
        const opd_agent_t *agent = opd_mail_trusted_agent (cfg, &claim, job->ticket, &job->trust);
        job->sb.agent = agent ? agent->id : NULL;
    }
    else
        s_request_type (cfg, m, &job->sb);
    if (s_store_attachments (self, m)) {
        s_result (res, OPD_MAIL_TEMPFAIL, "unavailable", "an attachment could not be stored");
        s_job_destroy (&job);
        return res->code;
    }
    msgpack_sbuffer_init (&job->buf);
    s_pack_submit (self, m, &job->sb, &job->buf);
    *job_p = job;
    return OPD_MAIL_OK;
}

int
opd_mailer_finish (opd_mailer_t *self, opd_mail_job_t **job_p, int rc, const opd_intake_reply_t *reply,
                   opd_mail_result_t *res)
{
    opd_mail_job_t *job = *job_p;
    assert (job);
    memset (res, 0, sizeof *res);
    const opd_mail_t *m = job->m;
    if (rc == -1)
        s_result (res, OPD_MAIL_TEMPFAIL, "unavailable", "intake did not answer within %d ms", self->timeout_ms);
    else if (rc)
        s_result (res, OPD_MAIL_TEMPFAIL, "unavailable", "intake sent an answer that is not an intake reply");
    else if (reply->accepted) {
        snprintf (res->ticket_id, sizeof res->ticket_id, "%s", reply->ticket_id);
        const char *action = reply->created                                                 ? "created"
                             : job->sb.reply_to && !strcmp (job->sb.reply_to, reply->ticket_id) ? "comment"
                                                                                               : "repeat";
        s_result (res, OPD_MAIL_OK, action, "%s%s%s%s", m->dsn || m->from_daemon ? "bounce" : "mail",
                  job->sb.suppress_ack ? " no_ack" : "", job->trust ? " trust=" : "", job->trust ? job->trust : "");
    }
    else if (!strcmp (reply->code, "unavailable"))
        s_result (res, OPD_MAIL_TEMPFAIL, "unavailable", "intake: %s", reply->error);
    else
        s_result (res, OPD_MAIL_DATAERR, "rejected", "intake %s: %s", reply->code, reply->error);
    s_job_destroy (job_p);
    return res->code;
}

int
opd_mailer_deliver (opd_mailer_t *self, const char *data, size_t len, opd_mail_result_t *res)
{
    opd_mail_job_t *job = NULL;
    int code = opd_mailer_prepare (self, data, len, &job, res);
    if (!job)
        return code;
    size_t flen;
    const char *frame = opd_mail_job_frame (job, &flen);
    opd_intake_reply_t reply;
    int rc = opd_intake_client_submit (self->intake, frame, flen, &reply);
    return opd_mailer_finish (self, &job, rc, &reply, res);
}
