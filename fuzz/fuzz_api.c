/*  fuzz_api: libFuzzer harness for what opdesk-web's API does with a JSON
    request body before anything reaches Redis or intake.

    Each input is a body of POST /api/v1/tickets, PATCH or a comment:
      - web_body_parse (jansson, duplicate keys refused);
      - web_body_keys for each endpoint and each role (the role tables):
        a refusal always names a key, 403 only for a known key;
      - web_body_create for a requester and an agent, then what the API
        sends intake: opd_pack_json of every key into an intake.submit map
        with v, type, channel and external_id, decoded by opd_submit_decode
        against a fixed configuration. A requester's submission must never
        reach intake with a priority or received_at of its own, or anyone
    else's email.
    Built and run by fuzz/run.sh. */
#include "../services/web/body.h"
#include "fuzz_config_load.h"
#include "opd_config.h"
#include "opd_intake.h"
#include "opd_util.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *s_config_text = FUZZ_DESK_CONFIG
    "request_types:\n"
    "  - id: new-laptop\n"
    "    fields:\n"
    "      - {name: cost_centre, type: string, required: true, pattern: \"^[0-9]{6}$\"}\n"
    "      - {name: model, type: enum, values: [standard, developer], required: true}\n"
    "limits: {body_bytes: 2048, frame_bytes: 8192}\n";

FUZZ_CONFIG_HARNESS ("fuzz_api", s_config_text)

static void
s_check_refusal (const web_body_error_t *e, json_t *obj)
{
    if (!e->code || (e->status != 403 && e->status != 422) || !e->message[0])
        abort ();
    //  (The key may be "": a body can hold an empty key, which is unknown.)
    if (!opd_utf8_valid (e->key, strlen (e->key)) || !opd_utf8_valid (e->message, strlen (e->message)))
        abort ();
    //  403 names a key the endpoint knows and the body holds.
    if (e->status == 403 && !strchr (e->key, '.') && !json_object_get (obj, e->key))
        abort ();
}

//  What the API sends intake for obj: every key packed by opd_pack_json.
static void
s_submit (json_t *obj, opd_role_t role)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    json_object_set_new (obj, "channel", json_string ("web"));
    json_object_set_new (obj, "external_id", json_string ("web-fuzz"));
    web_body_pack_submit (obj, &buf);
    opd_submit_t *m = NULL;
    opd_reject_t rej;
    if (opd_submit_decode (buf.data, buf.size, s_cfg, 1764064119000LL, &m, &rej) == 0) {
        if (!m || !m->subject)
            abort ();
        //  (Its priority, if any, is the matrix's from impact and urgency.)
        if (role == OPD_ROLE_REQUESTER && (!m->req_email || strcasecmp (m->req_email, "rita@example.com")))
            abort ();
        opd_submit_destroy (&m);
    }
    else if (m || !rej.message[0])
        abort ();
    msgpack_sbuffer_destroy (&buf);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    web_body_error_t e;
    json_t *obj = web_body_parse ((const char *) data, size, &e);
    if (!obj) {
        if (e.status != 400 || strcmp (e.code, "bad_json"))
            abort ();
        return 0;
    }
    static const opd_role_t roles[] = {OPD_ROLE_REQUESTER, OPD_ROLE_AGENT, OPD_ROLE_ADMIN};
    for (int kind = WEB_BODY_CREATE; kind <= WEB_BODY_COMMENT; kind++)
        for (size_t r = 0; r < sizeof roles / sizeof roles[0]; r++)
            if (web_body_keys ((web_body_kind_t) kind, roles[r], obj, &e))
                s_check_refusal (&e, obj);
    for (size_t r = 0; r < 2; r++) {
        json_t *copy = json_deep_copy (obj);
        if (!copy)
            continue;
        if (web_body_create (copy, roles[r], "rita@example.com", &e) == 0) {
            if (roles[r] == OPD_ROLE_REQUESTER
                && (json_object_get (copy, "priority") || json_object_get (copy, "received_at")))
                abort ();
            s_submit (copy, roles[r]);
        }
        else if (!e.code)
            abort ();
        json_decref (copy);
    }
    json_decref (obj);
    return 0;
}
