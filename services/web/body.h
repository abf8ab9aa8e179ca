/*  body: what the API checks in a JSON request body before anything reaches
    Redis or intake: the parse, which keys each role may set (one table per
    endpoint), and the POST /api/v1/tickets body made into the keys of an
    intake.submit. Pure code, no Redis, no server: fuzz/fuzz_api.c links it
    alone with the intake decoder. */
#ifndef WEB_BODY_H_INCLUDED
#define WEB_BODY_H_INCLUDED
#include "opd_config.h"
#include <jansson.h>
#include <msgpack.h>
#include <stdbool.h>

//  Why a body was refused: the HTTP status (400, 403, 422), the error code,
//  the dotted key at fault ("" for none), one sentence; for malformed JSON
//  also where the parser stopped.
typedef struct {
    int status;
    const char *code;
    char key[128];
    char message[512];
    int line, column, position;  //  bad_json only
} web_body_error_t;

typedef enum { WEB_BODY_CREATE, WEB_BODY_PATCH, WEB_BODY_COMMENT } web_body_kind_t;

//  "requester", "agent", "lead", "admin".
const char *web_role_name (opd_role_t role);
//  text (len bytes) as a JSON object, duplicate keys refused; NULL with *e
//  filled in (400 bad_json) otherwise.
json_t *web_body_parse (const char *text, size_t len, web_body_error_t *e);
//  0 when role may set every key of obj for kind; else -1 with *e: 422 for
//  a key the endpoint does not know (a new ticket's unknown keys are
//  removed instead, as intake ignores them), 403 for one the role may not set.
int web_body_keys (web_body_kind_t kind, opd_role_t role, json_t *obj, web_body_error_t *e);
//  Checks a POST /api/v1/tickets body and makes it the keys of an
//  intake.submit (without v, type, channel, external_id): received_at in
//  milliseconds; a requester's body gets its identity as requester.email
//  and sender_check. 0, or -1 with *e. (A requester's reply_to is checked
//  against Redis by the caller.)
int web_body_create (json_t *obj, opd_role_t role, const char *identity, web_body_error_t *e);
//  The intake.submit frame of obj (its keys after web_body_create, with
//  channel and external_id set): v and type first, then every key of obj.
//  buf is the caller's, initialised.
void web_body_pack_submit (const json_t *obj, msgpack_sbuffer *buf);
#endif
