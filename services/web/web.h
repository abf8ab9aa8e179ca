/*  web: what the JSON API (api.c) and the portal (portal.c) share: who is
    asking (auth.c), what a requester may see of a ticket, and submitting to
    intake over its real protocol. */
#ifndef WEB_WEB_H_INCLUDED
#define WEB_WEB_H_INCLUDED
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
//  The portal's session cookie: the token, hex encoded. 0 when signed in
//  as a requester.
int web_auth_cookie (http_req_t *req, web_auth_t *out);
//  The cookie value for token (hex; the caller frees it), and back.
char *web_cookie_encode (const char *token);
char *web_cookie_decode (const char *value);
const char *web_role_name (opd_role_t role);

//  True when a requester may see ticket t (its requester email is the
//  identity, in any case); always true for the other roles.
bool web_may_see (const web_auth_t *who, json_t *t);
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
//  A fresh random id (hex, 32 characters) into buf of 33 bytes.
void web_random_id (char *buf);
#endif
