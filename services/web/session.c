/*  session: server-side sessions of the portal and the agent console, and
    the CSRF tokens of their forms. See web.h.

    The cookie holds a random id (getrandom, 256 bits, hex); Redis holds
    only its SHA-256, so a copy of Redis cannot be replayed as cookies:

        opd:session:SHA256(id) = "v1 TOKEN_DIGEST CSRF EXPIRES_MS"  (PX = the session's life)
        opd:session:SHA256(id) = "v2 CSRF EXPIRES_MS EMAIL"         (a requester signed in by a mailed link)
        opd:session:SHA256(id) = "v3 CSRF EXPIRES_MS AGENT"         (an agent signed in by a mailed link)

    The session is checked on every request: present, not past EXPIRES_MS
    (also enforced by the key's expiry), and its token still configured. */
#include "opd_log.h"
#include "opd_util.h"
#include "opd_schema.h"
#include "web.h"
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COOKIE "opdesk_session"
#define CSRF_COOKIE "opdesk_csrf"

static bool
s_hex64 (const char *s)
{
    return s && strlen (s) == 64 && strspn (s, "0123456789abcdef") == 64;
}

//  Secure when the desk is reached over https: its public URL says so, or a
//  trusted proxy does (X-Forwarded-Proto).
static bool
s_secure (http_req_t *req)
{
    const char *pub = req->cfg->web_public_url;
    return (pub && !strncmp (pub, "https:", 6)) || http_https (req);
}

static void
s_set_cookie (http_req_t *req, const char *name, const char *value, long long max_age_s)
{
    char *c = opd_sprintf ("%s=%s; Path=/; Max-Age=%lld; HttpOnly; SameSite=Strict%s", name, value,
                           max_age_s, s_secure (req) ? "; Secure" : "");
    http_add_header (req, "Set-Cookie", c);
    free (c);
}

void
web_cookie_set (http_req_t *req, const char *name, const char *value, long long max_age_s)
{
    s_set_cookie (req, name, value, max_age_s);
}

static void
s_key (const char *id, char *key, size_t size)
{
    char hash[65];
    web_token_digest (id, hash);
    opd_key_session (key, size, hash);
}

//  Stores a new session whose value starts with head ("v1 DIGEST" or "v2")
//  and ends with tail ("" or " EMAIL"), and sets its cookie. 0, or -1.
static int
s_session_store (http_req_t *req, const char *head, const char *tail)
{
    char id[65], csrf[65], key[96];
    opd_random_hex (id, 32);
    opd_random_hex (csrf, 32);
    s_key (id, key, sizeof key);
    int64_t ttl = req->cfg->web_session_ms;
    char *value = opd_sprintf ("%s %s %lld%s", head, csrf, (long long) (opd_now_ms () + ttl), tail);
    redisReply *r = opd_redis_command (http_redis (req), "SET %s %s PX %lld", key, value, (long long) ttl);
    free (value);
    bool ok = r && r->type == REDIS_REPLY_STATUS;
    if (r)
        freeReplyObject (r);
    if (!ok)
        return -1;
    s_set_cookie (req, COOKIE, id, (long long) (ttl / 1000));
    return 0;
}

int
web_session_create (http_req_t *req, const char *token)
{
    char digest[65], head[80];
    web_token_digest (token, digest);
    snprintf (head, sizeof head, "v1 %s", digest);
    return s_session_store (req, head, "");
}

int
web_session_create_email (http_req_t *req, const char *email)
{
    if (!opd_email_valid (email) || strlen (email) > 320 || strchr (email, ' '))
        return -1;
    char tail[330];
    snprintf (tail, sizeof tail, " %s", email);
    return s_session_store (req, "v2", tail);
}

int
web_session_create_agent (http_req_t *req, const char *agent)
{
    char tail[330];
    snprintf (tail, sizeof tail, " %s", agent);
    return s_session_store (req, "v3", tail);
}

//  A v3 value "v3 CSRF EXPIRES AGENT": an agent signed in by a mailed link,
//  valid while agents may and the agent is still configured; the role is
//  that of its tokens now (web_agent_role). 0 with out filled, or -1.
static int
s_session_v3 (http_req_t *req, const char *value, web_session_t *out)
{
    char csrf[65] = "", agent[321] = "";
    long long expires = 0;
    if (!req->cfg->web_email_signin || !req->cfg->web_agent_email_signin
        || sscanf (value, "v3 %64s %lld %320s", csrf, &expires, agent) != 3 || expires <= opd_now_ms ()
        || !s_hex64 (csrf) || !opd_config_agent (req->cfg, agent))
        return -1;
    snprintf (out->csrf, sizeof out->csrf, "%s", csrf);
    snprintf (out->email, sizeof out->email, "%s", agent);
    out->who.role = web_agent_role (req->cfg, agent);
    out->who.identity = out->email;
    return 0;
}

//  A v2 value "v2 CSRF EXPIRES EMAIL": a requester signed in by a mailed
//  link, valid while email sign-in stays on. 0 with out filled, or -1.
static int
s_session_v2 (http_req_t *req, const char *value, web_session_t *out)
{
    char csrf[65] = "", email[321] = "";
    long long expires = 0;
    if (!req->cfg->web_email_signin || sscanf (value, "v2 %64s %lld %320s", csrf, &expires, email) != 3
        || expires <= opd_now_ms () || !s_hex64 (csrf) || !opd_email_valid (email))
        return -1;
    snprintf (out->csrf, sizeof out->csrf, "%s", csrf);
    snprintf (out->email, sizeof out->email, "%s", email);
    out->who.role = OPD_ROLE_REQUESTER;
    out->who.identity = out->email;
    return 0;
}

int
web_session_get (http_req_t *req, web_session_t *out)
{
    const char *id = http_cookie (req, COOKIE);
    if (!s_hex64 (id))
        return -1;
    char key[96];
    s_key (id, key, sizeof key);
    redisReply *r = opd_redis_command (http_redis (req), "GET %s", key);
    if (r && r->type == REDIS_REPLY_STRING && (!strncmp (r->str, "v2 ", 3) || !strncmp (r->str, "v3 ", 3))) {
        int rc = r->str[1] == '2' ? s_session_v2 (req, r->str, out) : s_session_v3 (req, r->str, out);
        freeReplyObject (r);
        return rc;
    }
    char digest[65] = "", csrf[65] = "";
    long long expires = 0;
    bool found = r && r->type == REDIS_REPLY_STRING
                 && sscanf (r->str, "v1 %64s %64s %lld", digest, csrf, &expires) == 3;
    if (r)
        freeReplyObject (r);
    if (!found || expires <= opd_now_ms () || !s_hex64 (csrf)
        || web_auth_digest (req->cfg, digest, &out->who))
        return -1;
    snprintf (out->csrf, sizeof out->csrf, "%s", csrf);
    return 0;
}

int
web_session_key (http_req_t *req, char *key, size_t size)
{
    const char *id = http_cookie (req, COOKIE);
    if (!s_hex64 (id))
        return -1;
    s_key (id, key, size);
    return 0;
}

void
web_session_revoke (http_req_t *req)
{
    const char *id = http_cookie (req, COOKIE);
    if (s_hex64 (id)) {
        char key[96];
        s_key (id, key, sizeof key);
        redisReply *r = opd_redis_command (http_redis (req), "DEL %s", key);
        if (!r)
            opd_warn ("session not revoked in Redis: %s", opd_redis_error (http_redis (req)));
        else
            freeReplyObject (r);
    }
    s_set_cookie (req, COOKIE, "", 0);
}

void
web_csrf_anonymous (http_req_t *req, char *out)
{
    const char *have = http_cookie (req, CSRF_COOKIE);
    if (s_hex64 (have)) {
        snprintf (out, 65, "%s", have);
        return;
    }
    opd_random_hex (out, 32);
    //  A session cookie's life is plenty for a form left open.
    s_set_cookie (req, CSRF_COOKIE, out, (long long) (req->cfg->web_session_ms / 1000));
}

bool
web_csrf_ok (http_req_t *req, const web_session_t *session, const char *value)
{
    const char *expected = session ? session->csrf : http_cookie (req, CSRF_COOKIE);
    return s_hex64 (expected) && s_hex64 (value) && web_equal64 (expected, value);
}
