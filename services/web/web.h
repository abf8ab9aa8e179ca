/*  web: what the JSON API (api.c) and the portal (portal.c) share: who is
    asking (auth.c), what a requester may see of a ticket, and submitting to
    intake over its real protocol. */
#ifndef WEB_WEB_H_INCLUDED
#define WEB_WEB_H_INCLUDED
#include "body.h"
#include "http.h"
#include "opd_intake.h"
#include <jansson.h>
#include <stdbool.h>

//  Who a token belongs to. identity is borrowed from the configuration.
typedef struct {
    opd_role_t role;
    const char *identity;  //  an agent id, or the requester's email address
} web_auth_t;

//  Looks token up among the configured ones, comparing in constant time
//  (hashed tokens by the SHA-256 of what was presented). 0 when found.
int web_auth_token (const opd_config_t *cfg, const char *token, web_auth_t *out);
//  The Authorization: Bearer token of req. Returns 0, or -1 after
//  answering 401.
int web_auth_bearer (http_req_t *req, web_auth_t *out);
//  The SHA-256 of token as 64 hex digits into out[65], and the token whose
//  digest that is (compared in constant time, as web_auth_token does).
void web_token_digest (const char *token, char *out);
//  True when the 64 characters of a and b are equal, in time that does not
//  depend on where they differ.
bool web_equal64 (const char *a, const char *b);
int web_auth_digest (const opd_config_t *cfg, const char *digest, web_auth_t *out);

//  Sessions of the portal and the agent console (session.c): a random id of
//  256 bits in an HttpOnly, SameSite=Strict cookie (opdesk_session), held
//  in Redis only as its SHA-256 (opd:session:HASH, expiring after
//  channels.web.session) with the digest of the token that signed in (so a
//  token removed from the configuration ends its sessions) and the
//  session's CSRF token. Never the token itself.
typedef struct {
    web_auth_t who;   //  first: portal pages pass &session.who around
    char csrf[65];    //  the hidden field every form of the session carries
    char email[321];  //  who.identity of a session signed in by a mailed link
} web_session_t;

//  The Redis key of the request's session (its cookie's), for a long answer
//  that must end with the session (the console's stream). 0, or -1.
int web_session_key (http_req_t *req, char *key, size_t size);

//  Signs token in: a new session. Adds its Set-Cookie to req. 0, or -1 when
//  Redis failed.
int web_session_create (http_req_t *req, const char *token);
//  Signs a requester in as email (a mailed link was used): a new session
//  "v2 CSRF EXPIRES_MS EMAIL", ended like any other by /logout, and by
//  channels.web.email_signin turned off. 0, or -1 when Redis failed.
int web_session_create_email (http_req_t *req, const char *email);
//  Signs agent (an agents[] id) in by a mailed link: "v3 CSRF EXPIRES_MS
//  AGENT", valid while channels.web.agent_email_signin stays on and the
//  agent is configured. 0, or -1 when Redis failed.
int web_session_create_agent (http_req_t *req, const char *agent);
//  The role an agent signed in by a link has: the highest of the tokens
//  naming it as identity, agent when none does.
opd_role_t web_agent_role (const opd_config_t *cfg, const char *agent);
//  The agent whose agents[].email is email (any case) when agents may sign
//  in by a mailed link, else NULL.
const opd_agent_t *web_agent_by_email (const opd_config_t *cfg, const char *email);
//  The request's session: 0 when there is a valid one (out filled in), -1
//  when there is none (no cookie, unknown, expired, revoked, its token gone).
int web_session_get (http_req_t *req, web_session_t *out);
//  Revokes the request's session in Redis and clears the cookie.
void web_session_revoke (http_req_t *req);
//  Sets a cookie as the session's are set (Path=/, HttpOnly,
//  SameSite=Strict, Secure over https); max_age_s 0 clears it.
void web_cookie_set (http_req_t *req, const char *name, const char *value, long long max_age_s);
//  The CSRF token of a form shown without a session (sign-in, the public
//  request form): a random value in a cookie of its own (opdesk_csrf,
//  HttpOnly, SameSite=Strict), set on req when missing, into out[65].
void web_csrf_anonymous (http_req_t *req, char *out);
//  True when the form's csrf value is the session's (or, without a
//  session, the opdesk_csrf cookie's), compared in constant time.
bool web_csrf_ok (http_req_t *req, const web_session_t *session, const char *value);

//  True when a requester may see ticket t (its requester email is the
//  identity, in any case); always true for the other roles.
bool web_may_see (const web_auth_t *who, json_t *t);
//  True when id, from a URL, may be a ticket id: 1 to 64 letters, digits,
//  '-' or '_'. Anything else is answered 404 without a look in Redis.
bool web_id_valid (const char *id);
//  Whether who may see ticket id, by one cheap read that a requester makes
//  whether the ticket exists or not (HGET of its requester's address), so
//  that another's ticket and a missing one take the same work: 1 yes, 0 no
//  (or no such ticket), -1 when Redis failed. 1 at once for the other roles.
int web_owns (http_req_t *req, const web_auth_t *who, const char *id);
//  Removes from t what a requester must not see: internal comments, the
//  history of internal actions, notes. Does nothing for the other roles.
void web_filter_ticket (const web_auth_t *who, json_t *t);

//  Sends an intake.submit built from obj (a JSON object holding every key
//  but v and type) to intake. Returns 0 with *reply filled in, -1 when
//  intake did not answer within timeout_ms, -2 when its answer was not a
//  reply. A rejection's key (the dotted path at fault) goes into key when
//  given.
int web_submit (http_req_t *req, json_t *obj, int timeout_ms, opd_intake_reply_t *reply, char *key,
                size_t keylen);
#define WEB_INTAKE_TIMEOUT_MS 5000  //  what a page or the API waits for intake's answer
//  A fresh random id (hex, 32 characters) into buf of 33 bytes.
void web_random_id (char *buf);
//  The standard responses for ticket id as GET /api/v1/tickets/ID/
//  suggestions lists them (api_suggest.c): ranked items, each with its
//  preview rendered for the ticket or the variable that has none; with all,
//  every configured response (those matching nothing last). NULL with
//  *found 0 (no such ticket) or -1 (Redis failed); else *found 1.
json_t *web_suggestions (http_req_t *req, const char *id, bool all, int *found);

//  Attachments (attach.c); the upload limit is in http.h.
//  True when the configuration allows files of media type type.
bool web_attach_type_ok (const opd_config_t *cfg, const char *type);
//  Why an upload of len bytes named name with Content-Type content_type may
//  not be kept: "folder" (none configured), "size", "type", "name",
//  "empty"; NULL when it may.
const char *web_attach_check (const opd_config_t *cfg, const char *content_type, const char *name, size_t len);
//  The media type of a Content-Type value, lowercased, without parameters,
//  into out; "" when it is not a type/subtype token.
void web_attach_media_type (const char *ct, char *out, size_t size);
//  Stores len bytes of data as the file name of type on ticket id, as who
//  (opd_blob, then opd_store_attach). Returns opd_store_attach's code (1
//  added, 0 there already, 2 to 5 refused) or -1; on 0 and 1 *meta_out (if
//  given) is the metadata, the caller's reference. Checks no limit.
int web_attach_add (http_req_t *req, const web_auth_t *who, const char *id, const char *name, const char *type,
                    const void *data, size_t len, json_t **meta_out);
//  Answers the attachment sha of ticket id as a download, to who if it may
//  see the ticket (else 404, as for a missing one).
void web_attach_serve (http_req_t *req, const web_auth_t *who, const char *id, const char *sha);
#endif
