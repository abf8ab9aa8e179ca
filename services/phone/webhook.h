/*  webhook: the pure part of the phone webhook, what happens to a post
    before anything reaches Redis or intake: the body (JSON or a form) into
    a map of field name to text, and the X-Opdesk-Signature check. No
    server, no Redis: fuzz/fuzz_phone.c links it alone, with number.c. */
#ifndef PHONE_WEBHOOK_H_INCLUDED
#define PHONE_WEBHOOK_H_INCLUDED
#include <glib.h>
#include <stdbool.h>
#include <stddef.h>

//  Why a body was refused: the HTTP status (400, 415, 422), the error code
//  and one sentence.
typedef struct {
    int status;
    char code[32];
    char message[256];
} phone_error_t;

//  A new map of field name to text value (both owned by the map).
GHashTable *phone_fields_new (void);
//  Parses body (len bytes, NUL-terminated) by its Content-Type ct; without
//  one, a body starting with '{' is JSON and anything else a form. JSON
//  numbers and booleans become their text, null is left out. Returns the
//  fields (the caller destroys them), or NULL with *e filled in.
GHashTable *phone_parse_body (const char *ct, const char *body, size_t len, phone_error_t *e);
//  True when header is "sha256=HEX" (either case), the HMAC-SHA256 under
//  secret of body, or of "TS.BODY" when ts is given; compared in constant
//  time.
bool phone_signature_ok (const char *secret, const char *header, const char *ts, const char *body,
                         size_t len);
#endif
