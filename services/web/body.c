/*  body: see body.h. */
#include "body.h"
#include "opd_intake.h"
#include "opd_util.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  One row per key a body may hold: the least role that may set it. A key
//  not in its table is unknown (422); a key the caller's role may not set
//  is refused with 403 naming it, before anything is stored
//  (docs/decisions.md 39). README.md ("What each role may set") shows them.
typedef struct {
    const char *key;
    opd_role_t least;
} key_rule_t;

#define REQUESTER OPD_ROLE_REQUESTER
#define AGENT OPD_ROLE_AGENT

//  POST /api/v1/tickets. A requester describes its request and may say how
//  bad it is (impact, urgency: the configured matrix turns them into a
//  priority); what sets clocks, pages people or speaks for the channel
//  (priority, received_at, suppress_ack, sender_check, participants,
//  attachment metadata) is the desk's. Its requester.email is its identity
//  and its reply_to must name one of its own tickets (checked by api.c).
static const key_rule_t s_create_keys[] = {
    {"requester", REQUESTER},   {"subject", REQUESTER},      {"body", REQUESTER},
    {"kind", REQUESTER},        {"request_type", REQUESTER}, {"fields", REQUESTER},
    {"impact", REQUESTER},      {"urgency", REQUESTER},      {"category", REQUESTER},
    {"reply_to", REQUESTER},    {"priority", AGENT},         {"received_at", AGENT},
    {"attachments", AGENT},     {"suppress_ack", AGENT},     {"sender_check", AGENT},
    {"participants", AGENT},    {NULL, 0}};

//  PATCH /api/v1/tickets/ID. A requester may reopen its resolved ticket
//  (status open, checked in api.c) with a note, nothing else.
static const key_rule_t s_patch_keys[] = {
    {"status", REQUESTER}, {"note", REQUESTER}, {"priority", AGENT}, {"severity", AGENT},
    {"category", AGENT},   {"team", AGENT},     {"assignee", AGENT}, {"fields", AGENT},
    {NULL, 0}};

//  POST /api/v1/tickets/ID/comments. A requester's comments are public
//  (public: false is refused in api.c).
static const key_rule_t s_comment_keys[] = {
    {"body", REQUESTER}, {"public", REQUESTER}, {"standard_response", AGENT}, {NULL, 0}};

#undef REQUESTER
#undef AGENT

static void
s_fail (web_body_error_t *e, int status, const char *code, const char *key, const char *fmt, ...)
    __attribute__ ((format (printf, 5, 6)));

static void
s_fail (web_body_error_t *e, int status, const char *code, const char *key, const char *fmt, ...)
{
    e->status = status;
    e->code = code;
    snprintf (e->key, sizeof e->key, "%s", key ? key : "");
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (e->message, sizeof e->message, fmt, ap);
    va_end (ap);
}

const char *
web_role_name (opd_role_t role)
{
    switch (role) {
    case OPD_ROLE_REQUESTER:
        return "requester";
    case OPD_ROLE_AGENT:
        return "agent";
    case OPD_ROLE_LEAD:
        return "lead";
    case OPD_ROLE_ADMIN:
        return "admin";
    }
    return "none";
}

json_t *
web_body_parse (const char *text, size_t len, web_body_error_t *e)
{
    json_error_t je;
    memset (e, 0, sizeof *e);
    json_t *obj = json_loadb (text, len, JSON_REJECT_DUPLICATES, &je);
    if (!obj) {
        s_fail (e, 400, "bad_json", NULL, "malformed JSON at line %d, column %d (position %d): %s",
                je.line, je.column, je.position, je.text);
        e->line = je.line;
        e->column = je.column;
        e->position = je.position;
        return NULL;
    }
    if (!json_is_object (obj)) {
        json_decref (obj);
        s_fail (e, 400, "bad_json", NULL, "the body must be a JSON object");
        return NULL;
    }
    return obj;
}

//  prefix and key into out (size bytes), cut at a character boundary when
//  too long: the key goes into JSON answers, which must stay UTF-8.
static void
s_key_name (char *out, size_t size, const char *prefix, const char *key)
{
    char *full = opd_sprintf ("%s%s", prefix, key);
    size_t n = strlen (full);
    if (n >= size) {
        //  Back to the first byte of the character the limit falls in.
        n = size - 1;
        while (n > 0 && ((unsigned char) full[n] & 0xC0) == 0x80)
            n--;
    }
    memcpy (out, full, n);
    out[n] = 0;
    free (full);
}

//  Checks every key of obj against rules. A key the rules do not name is a
//  422, or, with drop_unknown (a ticket's body, as intake ignores the keys
//  it does not know), removed from obj.
static int
s_keys (const key_rule_t *rules, opd_role_t role, json_t *obj, const char *prefix, bool drop_unknown,
        web_body_error_t *e)
{
    const char *k;
    json_t *v;
    void *tmp;
    json_object_foreach_safe (obj, tmp, k, v) {
        const key_rule_t *rule = NULL;
        for (int i = 0; rules[i].key && !rule; i++)
            if (!strcmp (k, rules[i].key))
                rule = &rules[i];
        char key[128];
        s_key_name (key, sizeof key, prefix, k);
        if (!rule && drop_unknown) {
            json_object_del (obj, k);
            continue;
        }
        if (!rule) {
            char list[512] = "";
            for (int i = 0; rules[i].key; i++)
                snprintf (list + strlen (list), sizeof list - strlen (list), "%s%s", i ? ", " : "",
                          rules[i].key);
            s_fail (e, 422, "invalid", key, "unknown field '%s'; allowed: %s", key, list);
            return -1;
        }
        if (role < rule->least) {
            s_fail (e, 403, "forbidden", key, "a %s token may not set %s", web_role_name (role), key);
            return -1;
        }
    }
    return 0;
}

int
web_body_keys (web_body_kind_t kind, opd_role_t role, json_t *obj, web_body_error_t *e)
{
    const key_rule_t *rules = kind == WEB_BODY_CREATE ? s_create_keys
                              : kind == WEB_BODY_PATCH ? s_patch_keys
                                                       : s_comment_keys;
    return s_keys (rules, role, obj, "", kind == WEB_BODY_CREATE, e);
}

int
web_body_create (json_t *obj, opd_role_t role, const char *identity, web_body_error_t *e)
{
    static const key_rule_t requester_keys[] = {
        {"name", OPD_ROLE_REQUESTER}, {"email", OPD_ROLE_REQUESTER}, {"phone", OPD_ROLE_REQUESTER}, {NULL, 0}};
    memset (e, 0, sizeof *e);
    //  The API sets v, type and channel itself, and the external_id is the
    //  Idempotency-Key header: like any key it does not know, they are
    //  dropped (decision 171).
    if (web_body_keys (WEB_BODY_CREATE, role, obj, e))
        return -1;
    json_t *rq = json_object_get (obj, "requester");
    if (rq && !json_is_object (rq)) {
        s_fail (e, 422, "invalid", "requester", "requester must be an object with name, email, phone");
        return -1;
    }
    if (rq && s_keys (requester_keys, role, rq, "requester.", true, e))
        return -1;
    json_t *ra = json_object_get (obj, "received_at");
    if (ra) {
        int64_t ms = 0;
        if (json_is_string (ra) && opd_rfc3339_parse (json_string_value (ra), &ms) == 0)
            json_object_set_new (obj, "received_at", json_integer (ms));
        else if (!json_is_integer (ra)) {
            s_fail (e, 422, "invalid", "received_at",
                    "received_at must be an RFC 3339 time (or milliseconds since the epoch)");
            return -1;
        }
    }
    if (role == OPD_ROLE_REQUESTER) {
        //  A requester submits as itself, whatever the body says ...
        if (!rq) {
            rq = json_object ();
            json_object_set_new (obj, "requester", rq);
        }
        json_object_set_new (rq, "email", json_string (identity));
        //  ... and intake checks its reply_to again, atomically with the reply.
        json_object_set_new (obj, "sender_check", json_true ());
    }
    return 0;
}

void
web_body_pack_submit (const json_t *obj, msgpack_sbuffer *buf)
{
    msgpack_packer pk;
    msgpack_packer_init (&pk, buf, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, json_object_size (obj) + 2);
    opd_pack_kv_int (&pk, "v", 1);
    opd_pack_kv_str (&pk, "type", "intake.submit");
    const char *k;
    json_t *v;
    json_object_foreach ((json_t *) obj, k, v) {
        opd_pack_str (&pk, k);
        opd_pack_json (&pk, v);
    }
}
