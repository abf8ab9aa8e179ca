/*  signin: a requester signs in to the portal by a link mailed to them
    (channels.web.email_signin), so that no token needs to be configured;
    with channels.web.agent_email_signin, an agent by a link mailed to its
    agents[].email signs in to the console (a v3 session, session.c).

    POST /login  with email    the same neutral page whatever the address;
                               when it is the requester of a ticket, a job
                               {kind: signin, email} goes into the outbox
                               and opdesk-notifier mails the link (it makes
                               the token, stores only its SHA-256 in
                               opd:signin:HASH for channels.web.
                               email_signin_link, and the mail gets the
                               footer in mail_compose like every other)
    GET /login/link?t=TOKEN    a page with a "Sign in" button: nothing is
                               used up (mail scanners fetch links)
    POST /login/link           GETDEL of the link: the first use signs in
                               (a v2 session, session.c) and goes to
                               /tickets; a used or expired link is a page
                               saying so, without a session

    Rate limits (channels.web.rate_limit): every request for a link counts
    against the client address (signin_address; over it 429) and against
    the address asked for (signin_email; over it the same neutral page, no
    mail). Failed uses of links count as failed sign-ins (login). Logs name
    no address and no token. */
#include "opd_log.h"
#include "opd_schema.h"
#include "opd_util.h"
#include "portal.h"
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool
s_token_ok (const char *t)
{
    return t && strlen (t) == 64 && strspn (t, "0123456789abcdef") == 64;
}

//  1 when email is the requester of at least one ticket, 0 when not, -1
//  when Redis failed. email is lower case.
static int
s_is_requester (http_req_t *req, const char *email)
{
    char key[400];
    if (opd_key_idx_req (key, sizeof key, email) < 0)
        return 0;
    redisReply *r = opd_redis_command (http_redis (req), "ZCARD %s", key);
    int rc = r && r->type == REDIS_REPLY_INTEGER ? r->integer > 0 : -1;
    if (r)
        freeReplyObject (r);
    return rc;
}

//  The job opdesk-notifier mails the link from. 0, or -1 when Redis failed.
static int
s_queue (http_req_t *req, const char *email)
{
    redisReply *r = opd_redis_command (http_redis (req), "INCR %s", OPD_KEY_OUTBOX_SEQ);
    long long id = r && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
    if (r)
        freeReplyObject (r);
    if (id < 0)
        return -1;
    json_t *job = json_pack ("{s:I,s:s,s:s,s:i,s:I}", "id", (json_int_t) id, "kind", "signin", "email",
                             email, "attempt", 0, "queued_at", (json_int_t) opd_now_ms ());
    char *text = json_dumps (job, JSON_COMPACT);
    json_decref (job);
    r = opd_redis_command (http_redis (req), "LPUSH %s %s", OPD_KEY_OUTBOX_READY, text);
    int rc = r && r->type == REDIS_REPLY_INTEGER ? 0 : -1;
    if (r)
        freeReplyObject (r);
    free (text);
    return rc;
}

static void
s_neutral_page (http_req_t *req)
{
    char minutes[32];
    snprintf (minutes, sizeof minutes, "%lld", (long long) (req->cfg->web_signin_link_ms / 60000));
    GString *b = g_string_new ("<h1>Check your email</h1><p id=\"signin-sent\">If this address has "
                               "requests with us, a sign-in link is on its way to it. The link works "
                               "once, for ");
    g_string_append (b, minutes);
    g_string_append (b, " minutes.</p><p>Nothing arrived? Check the spam folder, or "
                        "<a href=\"/login\">ask for a new link</a>.</p>");
    portal_page (req, 200, "Check your email", NULL, b, NULL);
}

void
portal_signin_request (http_req_t *req, const char *raw_email)
{
    if (!req->cfg->web_email_signin) {
        portal_message_page (req, 404, "Not available", NULL, "Signing in by email is not offered here.");
        return;
    }
    if (http_rate (req, "signin_addr", http_client (req), req->cfg->web_rate.signin_address, true))
        return;
    gchar *email = g_utf8_strdown (raw_email, -1);
    g_strstrip (email);
    bool valid = opd_email_valid (email) && strlen (email) <= 320 && !strchr (email, ' ');
    //  Counted before anything is looked up, known address or not.
    bool over = valid && http_rate_over (req, "signin_email", email, req->cfg->web_rate.signin_email);
    int known = valid && !over ? (web_agent_by_email (req->cfg, email) ? 1 : s_is_requester (req, email)) : 0;
    if (known == 1 && s_queue (req, email))
        known = -1;
    g_free (email);
    if (known < 0) {
        portal_message_page (req, 503, "Try again later", NULL,
                             "Signing in is not possible at the moment. Please try again later.");
        return;
    }
    opd_info ("sign-in link asked queued=%s", known == 1 ? "yes" : over ? "no_rate" : "no");
    s_neutral_page (req);
}

static void
s_link_page (http_req_t *req, const char *token)
{
    char csrf[65];
    web_csrf_anonymous (req, csrf);
    GString *b = g_string_new ("<h1>Sign in</h1><p>Press the button to sign in and see your "
                               "requests.</p><form method=\"post\" action=\"/login/link\">");
    portal_csrf_field (b, csrf);
    g_string_append (b, "<input type=\"hidden\" name=\"t\" value=\"");
    portal_esc (b, token);
    g_string_append (b, "\"><button type=\"submit\" id=\"signin-confirm\">Sign in</button></form>");
    portal_page (req, 200, "Sign in", NULL, b, NULL);
}

static void
s_link_refused (http_req_t *req)
{
    portal_message_page (req, 410, "Link not valid", NULL,
                         "This sign-in link has been used already or has expired. "
                         "Ask for a new one on the sign-in page (/login).");
}

//  The address the link signs in as (the caller frees it): NULL when it is
//  used or expired, and *failed when Redis did not answer.
static char *
s_consume (http_req_t *req, const char *token, bool *failed)
{
    char hash[65], key[96];
    web_token_digest (token, hash);
    opd_key_signin (key, sizeof key, hash);
    redisReply *r = opd_redis_command (http_redis (req), "GETDEL %s", key);
    *failed = !r || r->type == REDIS_REPLY_ERROR;
    char *email = r && r->type == REDIS_REPLY_STRING ? opd_strdup (r->str) : NULL;
    if (r)
        freeReplyObject (r);
    return email;
}

void
portal_signin_link (http_req_t *req)
{
    if (!req->cfg->web_email_signin) {
        portal_message_page (req, 404, "Not available", NULL, "Signing in by email is not offered here.");
        return;
    }
    if (strcmp (req->method, "POST")) {
        const char *t = http_arg (req, "t");
        if (s_token_ok (t))
            s_link_page (req, t);
        else
            s_link_refused (req);
        return;
    }
    form_t f;
    if (portal_signin_post (req, &f))
        return;
    const char *t = portal_form_get (&f, "t");
    bool failed = false;
    char *email = s_token_ok (t) ? s_consume (req, t, &failed) : NULL;
    portal_form_free (&f);
    if (!email && !failed) {
        if (http_rate (req, "login", http_client (req), req->cfg->web_rate.login, true) == 0)
            s_link_refused (req);
        opd_info ("sign-in refused reason=link_used_or_expired");
        return;
    }
    //  An agent's address (when agents may) signs in as that agent.
    const opd_agent_t *agent = email ? web_agent_by_email (req->cfg, email) : NULL;
    if (failed || (agent ? web_session_create_agent (req, agent->id) : web_session_create_email (req, email))) {
        free (email);
        portal_message_page (req, 503, "Try again later", NULL,
                             "Signing in is not possible at the moment. Please try again later.");
        return;
    }
    free (email);
    opd_info ("signed in role=%s by=link", agent ? "agent" : "requester");
    portal_redirect (req, agent ? "/agent" : "/tickets");
}
