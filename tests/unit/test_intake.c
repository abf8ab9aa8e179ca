/*  test_intake: intake.submit decoding and validation (proto/src/opd_intake.c)
    against every rule of CONTRACT.md sections 3 and 8.

    Frames are written as JSON (readable) and packed to msgpack here; the
    marker string BAD~UTF8 is then overwritten in the packed bytes with an
    invalid UTF-8 sequence of the same length, so any string, key or nested
    value can be made invalid without changing the frame's structure. */
#include "opd_intake.h"
#include "opd_submit_msg.h"
#include "opd_util.h"
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "config_fixture.h"

#define NOW 1764064119000LL
#define MARKER "BAD~UTF8"

static const char *s_config_text =
    "ticket_prefix: OPD\n"
    "calendars: {always: {timezone: UTC, hours: 24x7}}\n"
    "slo_policies: [{name: all, match: {}, calendar: always, first_response: 1h}]\n"
    "priority_matrix: {high: {high: P1, medium: P2, low: P3}, medium: {high: P2, medium: P3, "
    "low: P4}, low: {high: P3, medium: P4, low: P4}}\n"
    "categories: {hardware: {laptop: {}, printer: {}}, network: {vpn: {}}, access: {}}\n"
    "request_types:\n"
    "  - id: new-laptop\n"
    "    fields:\n"
    "      - {name: cost_centre, type: string, required: true, pattern: \"^[0-9]{6}$\"}\n"
    "      - {name: model, type: enum, values: [standard, developer], required: true}\n"
    "      - {name: manager_email, type: email, pii: true}\n"
    "      - {name: seats, type: integer}\n"
    "      - {name: urgent, type: boolean}\n"
    "      - {name: needed_by, type: date}\n"
    "agents: [{id: alice, email: alice@example.org}, {id: bob}]\n"
    "limits: {body_bytes: 200, frame_bytes: 4096}\n";

CONFIG_FIXTURE (s_config_text)

#include "submit_samples.inc"

//  Packs the JSON text into buf; every MARKER becomes invalid UTF-8.
static void
s_frame (msgpack_sbuffer *buf, const char *json_text)
{
    json_error_t jerr;
    json_t *j = json_loads (json_text, JSON_ALLOW_NUL, &jerr);
    if (!j)
        fail_msg ("bad JSON in test: %s: %s", jerr.text, json_text);
    msgpack_sbuffer_init (buf);
    msgpack_packer pk;
    msgpack_packer_init (&pk, buf, msgpack_sbuffer_write);
    opd_pack_json (&pk, j);
    json_decref (j);
    for (size_t i = 0; i + strlen (MARKER) <= buf->size; i++)
        if (!memcmp (buf->data + i, MARKER, strlen (MARKER))) {
            buf->data[i] = (char) 0xc3;  //  a lead byte followed by ASCII
            buf->data[i + 3] = (char) 0xff;
        }
}

//  A valid message with a few pieces replaced: extra is JSON members
//  ("\"kind\": \"incident\"") that are added after the defaults, and may
//  override them (the later key wins in the JSON parser).
static char *
s_msg (const char *extra)
{
    json_error_t jerr;
    json_t *base = json_loads ("{\"v\": 1, \"type\": \"intake.submit\", \"channel\": \"email\","
                               " \"external_id\": \"<m1@example.org>\","
                               " \"requester\": {\"name\": \"Rita\", \"email\": \"rita@example.com\"},"
                               " \"subject\": \"Printer jammed\", \"body\": \"Error 42.\"}",
                               0, &jerr);
    assert_non_null (base);
    if (extra && *extra) {
        char *text = opd_sprintf ("{%s}", extra);
        json_t *over = json_loads (text, JSON_ALLOW_NUL, &jerr);
        if (!over)
            fail_msg ("bad JSON in test: %s: %s", jerr.text, text);
        free (text);
        const char *k;
        json_t *v;
        json_object_foreach (over, k, v) {
            if (json_is_string (v) && !strcmp (json_string_value (v), "DELETE"))
                json_object_del (base, k);
            else
                json_object_set (base, k, v);
        }
        json_decref (over);
    }
    char *out = json_dumps (base, JSON_COMPACT);
    json_decref (base);
    return out;
}

//  Decodes the JSON message; returns the decode's result.
static int
s_decode_json (const char *json_text, opd_submit_t **out, opd_reject_t *rej)
{
    msgpack_sbuffer buf;
    s_frame (&buf, json_text);
    int rc = opd_submit_decode (buf.data, buf.size, s_cfg, NOW, out, rej);
    msgpack_sbuffer_destroy (&buf);
    return rc;
}

//  The message with extra must be accepted; returns it (the caller destroys).
static opd_submit_t *
s_accept (const char *extra)
{
    char *text = s_msg (extra);
    opd_submit_t *m = NULL;
    opd_reject_t rej;
    if (s_decode_json (text, &m, &rej))
        fail_msg ("refused (%s, %s): %s\n  for %s", opd_reject_code_name (rej.code), rej.key,
                  rej.message, text);
    free (text);
    assert_non_null (m);
    return m;
}

//  The message with extra must be refused with code, naming key.
static void
s_refuse (const char *extra, opd_reject_code_t code, const char *key)
{
    char *text = s_msg (extra);
    opd_submit_t *m = NULL;
    opd_reject_t rej;
    if (s_decode_json (text, &m, &rej) == 0)
        fail_msg ("accepted, expected %s on %s: %s", opd_reject_code_name (code), key, text);
    assert_null (m);
    if (rej.code != code || strcmp (rej.key, key))
        fail_msg ("refused with %s on '%s' (%s), expected %s on '%s'\n  for %s",
                  opd_reject_code_name (rej.code), rej.key, rej.message,
                  opd_reject_code_name (code), key, text);
    //  The sentence names the key too, so that a person reading only the
    //  error knows what to fix.
    if (*key && !strstr (rej.message, key))
        fail_msg ("message '%s' does not name '%s'", rej.message, key);
    free (text);
}

static void
test_intake_accepts_a_plain_message (void **state)
{
    (void) state;
    opd_submit_t *m = s_accept ("");
    assert_string_equal (m->channel, "email");
    assert_string_equal (m->external_id, "m1@example.org");  //  as opdesk-email stores a Message-ID
    assert_string_equal (m->req_name, "Rita");
    assert_string_equal (m->req_email, "rita@example.com");
    assert_null (m->req_phone);
    assert_string_equal (m->subject, "Printer jammed");
    assert_string_equal (m->body, "Error 42.");
    assert_string_equal (m->kind, "incident");  //  the default without request_type
    assert_null (m->priority);
    assert_null (m->category);
    assert_null (m->request_type);
    assert_null (m->fields_json);
    assert_null (m->missing_json);
    assert_null (m->attachments_json);
    assert_null (m->reply_to);
    assert_int_equal (m->received_at, NOW);  //  the default: when intake received it
    assert_false (m->suppress_ack);
    opd_submit_destroy (&m);
    assert_null (m);
    //  Body is optional.
    m = s_accept ("\"body\": \"DELETE\"");
    assert_null (m->body);
    opd_submit_destroy (&m);
}

static void
test_intake_subject_counts_characters_not_bytes (void **state)
{
    (void) state;
    //  500 two-byte characters (1000 bytes) and 500 four-byte ones (2000 bytes) fit.
    char subject[2100], extra[2200];
    subject[0] = 0;
    for (int i = 0; i < 500; i++)
        strcat (subject, "\xc3\xa9");  //  é
    snprintf (extra, sizeof extra, "\"subject\": \"%s\"", subject);
    opd_submit_t *m = s_accept (extra);
    assert_int_equal (strlen (m->subject), 1000);
    opd_submit_destroy (&m);
    subject[0] = 0;
    for (int i = 0; i < 500; i++)
        strcat (subject, "\xf0\x9f\x99\x82");  //  an emoji
    snprintf (extra, sizeof extra, "\"subject\": \"%s\"", subject);
    m = s_accept (extra);
    assert_int_equal (strlen (m->subject), 2000);
    opd_submit_destroy (&m);
    //  501 characters are too many, whatever their size.
    strcat (subject, "x");
    snprintf (extra, sizeof extra, "\"subject\": \"%s\"", subject);
    s_refuse (extra, OPD_REJ_INVALID, "subject");
    memset (subject, 'a', 501);
    subject[501] = 0;
    snprintf (extra, sizeof extra, "\"subject\": \"%s\"", subject);
    s_refuse (extra, OPD_REJ_INVALID, "subject");
    subject[500] = 0;
    snprintf (extra, sizeof extra, "\"subject\": \"%s\"", subject);
    m = s_accept (extra);
    opd_submit_destroy (&m);
    s_refuse ("\"subject\": \"\"", OPD_REJ_INVALID, "subject");
    s_refuse ("\"subject\": \"DELETE\"", OPD_REJ_INVALID, "subject");
    s_refuse ("\"subject\": 42", OPD_REJ_INVALID, "subject");
    m = s_accept ("\"subject\": \"x\"");
    opd_submit_destroy (&m);
}

static void
test_intake_body_over_limit_is_too_large (void **state)
{
    (void) state;
    char body[260], extra[300];
    memset (body, 'b', 200);
    body[200] = 0;
    snprintf (extra, sizeof extra, "\"body\": \"%s\"", body);
    opd_submit_t *m = s_accept (extra);
    assert_int_equal (strlen (m->body), 200);
    opd_submit_destroy (&m);
    strcat (body, "b");
    snprintf (extra, sizeof extra, "\"body\": \"%s\"", body);
    s_refuse (extra, OPD_REJ_TOO_LARGE, "body");
    //  The limit is in bytes: 101 two-byte characters are 202 bytes.
    body[0] = 0;
    for (int i = 0; i < 101; i++)
        strcat (body, "\xc3\xa9");
    snprintf (extra, sizeof extra, "\"body\": \"%s\"", body);
    s_refuse (extra, OPD_REJ_TOO_LARGE, "body");
    s_refuse ("\"body\": [\"x\"]", OPD_REJ_INVALID, "body");
}

static void
test_intake_frame_over_limit_is_too_large (void **state)
{
    (void) state;
    //  An unknown key is ignored, but still counts towards the frame.
    char *pad = malloc (4200), *extra = malloc (4300);
    memset (pad, 'p', 4100);
    pad[4100] = 0;
    snprintf (extra, 4300, "\"x_padding\": \"%s\"", pad);
    s_refuse (extra, OPD_REJ_TOO_LARGE, "");
    pad[3800] = 0;
    snprintf (extra, 4300, "\"x_padding\": \"%s\"", pad);
    opd_submit_t *m = s_accept (extra);
    opd_submit_destroy (&m);
    free (pad);
    free (extra);
    //  too_large is decided before the frame is parsed at all.
    char *big = calloc (1, 8192);
    opd_reject_t rej;
    assert_int_equal (opd_submit_decode (big, 4097, s_cfg, NOW, &m, &rej), -1);
    assert_int_equal (rej.code, OPD_REJ_TOO_LARGE);
    assert_non_null (strstr (rej.message, "4096"));
    free (big);
}

static void
test_intake_invalid_utf8_anywhere_names_the_path (void **state)
{
    (void) state;
    s_refuse ("\"subject\": \"Printer " MARKER "\"", OPD_REJ_INVALID, "subject");
    s_refuse ("\"body\": \"" MARKER "\"", OPD_REJ_INVALID, "body");
    s_refuse ("\"requester\": {\"name\": \"R" MARKER "\", \"email\": \"rita@example.com\"}",
              OPD_REJ_INVALID, "requester.name");
    s_refuse ("\"request_type\": \"new-laptop\", \"fields\": {\"cost_centre\": \"123456\","
              " \"model\": \"" MARKER "\"}",
              OPD_REJ_INVALID, "fields.model");
    s_refuse ("\"attachments\": [{\"name\": \"a.txt\"}, {\"name\": \"" MARKER "\"}]",
              OPD_REJ_INVALID, "attachments.1.name");
    //  Keys are text too, and unknown keys are still checked.
    s_refuse ("\"x_" MARKER "\": 1", OPD_REJ_INVALID, "(key)");
    s_refuse ("\"x_future\": {\"deep\": [1, \"" MARKER "\"]}", OPD_REJ_INVALID, "x_future.deep.1");
    s_refuse ("\"external_id\": \"" MARKER "\"", OPD_REJ_INVALID, "external_id");
}

static void
test_intake_version_must_be_1 (void **state)
{
    (void) state;
    s_refuse ("\"v\": 2", OPD_REJ_UNSUPPORTED_VERSION, "v");
    s_refuse ("\"v\": 0", OPD_REJ_UNSUPPORTED_VERSION, "v");
    s_refuse ("\"v\": -1", OPD_REJ_UNSUPPORTED_VERSION, "v");
    s_refuse ("\"v\": \"1\"", OPD_REJ_INVALID, "v");
    s_refuse ("\"v\": 1.0", OPD_REJ_INVALID, "v");
    s_refuse ("\"v\": \"DELETE\"", OPD_REJ_INVALID, "v");
    //  A newer version is answered unsupported_version even when the rest
    //  of the message would not pass version 1's rules.
    opd_submit_t *m = NULL;
    opd_reject_t rej;
    assert_int_equal (s_decode_json ("{\"v\": 2, \"type\": \"intake.submit2\"}", &m, &rej), -1);
    assert_int_equal (rej.code, OPD_REJ_UNSUPPORTED_VERSION);
}

static void
test_intake_wrong_types_are_invalid (void **state)
{
    (void) state;
    s_refuse ("\"type\": \"intake.status\"", OPD_REJ_INVALID, "type");
    s_refuse ("\"type\": 7", OPD_REJ_INVALID, "type");
    s_refuse ("\"channel\": 7", OPD_REJ_INVALID, "channel");
    s_refuse ("\"channel\": \"Web Form\"", OPD_REJ_INVALID, "channel");
    s_refuse ("\"channel\": \"DELETE\"", OPD_REJ_INVALID, "channel");
    s_refuse ("\"channel\": \"abcdefghijklmnopqrstuvwxyz0123456\"", OPD_REJ_INVALID, "channel");
    s_refuse ("\"external_id\": \"DELETE\"", OPD_REJ_INVALID, "external_id");
    s_refuse ("\"external_id\": \"\"", OPD_REJ_INVALID, "external_id");
    s_refuse ("\"external_id\": 12", OPD_REJ_INVALID, "external_id");
    s_refuse ("\"requester\": \"rita@example.com\"", OPD_REJ_INVALID, "requester");
    s_refuse ("\"requester\": \"DELETE\"", OPD_REJ_INVALID, "requester");
    s_refuse ("\"requester\": {\"email\": 5}", OPD_REJ_INVALID, "requester.email");
    s_refuse ("\"received_at\": \"2026-01-01T00:00:00Z\"", OPD_REJ_INVALID, "received_at");
    s_refuse ("\"received_at\": -5", OPD_REJ_INVALID, "received_at");
    s_refuse ("\"kind\": 1", OPD_REJ_INVALID, "kind");
    s_refuse ("\"kind\": \"problem\"", OPD_REJ_INVALID, "kind");
    s_refuse ("\"priority\": \"P5\"", OPD_REJ_INVALID, "priority");
    s_refuse ("\"priority\": 1", OPD_REJ_INVALID, "priority");
    s_refuse ("\"impact\": \"huge\"", OPD_REJ_INVALID, "impact");
    s_refuse ("\"urgency\": true", OPD_REJ_INVALID, "urgency");
    s_refuse ("\"category\": [\"hardware\"]", OPD_REJ_INVALID, "category");
    s_refuse ("\"reply_to\": 42", OPD_REJ_INVALID, "reply_to");
    s_refuse ("\"suppress_ack\": \"yes\"", OPD_REJ_INVALID, "suppress_ack");
    s_refuse ("\"fields\": [1, 2]", OPD_REJ_INVALID, "fields");
    s_refuse ("\"attachments\": {\"name\": \"a\"}", OPD_REJ_INVALID, "attachments");
    s_refuse ("\"attachments\": [\"a.txt\"]", OPD_REJ_INVALID, "attachments.0");
    s_refuse ("\"attachments\": [{\"content_type\": \"text/plain\"}]", OPD_REJ_INVALID,
              "attachments.0.name");
    s_refuse ("\"attachments\": [{\"name\": \"a\", \"size\": -1}]", OPD_REJ_INVALID,
              "attachments.0.size");
    s_refuse ("\"attachments\": [{\"name\": \"a\", \"sha256\": \"XYZ\"}]", OPD_REJ_INVALID,
              "attachments.0.sha256");
    s_refuse ("\"subject\": \"a\\u0000b\"", OPD_REJ_INVALID, "subject");
    //  Frames that are not a map, or not msgpack at all.
    opd_submit_t *m = NULL;
    opd_reject_t rej;
    assert_int_equal (s_decode_json ("[1, 2, 3]", &m, &rej), -1);
    assert_int_equal (rej.code, OPD_REJ_INVALID);
    assert_int_equal (opd_submit_decode ("\xdb\xff\xff\xff\xff", 5, s_cfg, NOW, &m, &rej), -1);
    assert_int_equal (rej.code, OPD_REJ_INVALID);
    assert_non_null (strstr (rej.message, "msgpack"));
    assert_int_equal (opd_submit_decode ("", 0, s_cfg, NOW, &m, &rej), -1);
    assert_int_equal (rej.code, OPD_REJ_INVALID);
    assert_int_equal (opd_submit_decode ("\xc1", 1, s_cfg, NOW, &m, &rej), -1);
    assert_int_equal (rej.code, OPD_REJ_INVALID);
    assert_null (m);
}

static void
test_intake_requester_needs_email_or_phone (void **state)
{
    (void) state;
    s_refuse ("\"requester\": {\"name\": \"Rita\"}", OPD_REJ_INVALID, "requester.email");
    s_refuse ("\"requester\": {\"name\": \"Rita\", \"email\": \"\", \"phone\": \"\"}",
              OPD_REJ_INVALID, "requester.email");
    s_refuse ("\"requester\": {}", OPD_REJ_INVALID, "requester.email");
    s_refuse ("\"requester\": {\"email\": \"not an address\"}", OPD_REJ_INVALID,
              "requester.email");
    s_refuse ("\"requester\": {\"email\": \"rita@localhost\"}", OPD_REJ_INVALID,
              "requester.email");
    //  E.164: '+', then 2 to 15 digits, the first not 0.
    const char *bad_phones[] = {"02079460000", "+0207946", "+44 20 7946 0000", "+4420794600001234",
                                "+1", "+44-20", "tel:+442079460000"};
    for (size_t i = 0; i < sizeof bad_phones / sizeof bad_phones[0]; i++) {
        char extra[200];
        snprintf (extra, sizeof extra, "\"requester\": {\"phone\": \"%s\"}", bad_phones[i]);
        s_refuse (extra, OPD_REJ_INVALID, "requester.phone");
    }
    opd_submit_t *m = s_accept ("\"requester\": {\"phone\": \"+442079460000\"}");
    assert_string_equal (m->req_phone, "+442079460000");
    assert_null (m->req_email);
    assert_null (m->req_name);
    opd_submit_destroy (&m);
    m = s_accept ("\"requester\": {\"phone\": \"+442079460000\", \"email\": \"\"}");
    assert_null (m->req_email);
    opd_submit_destroy (&m);
    //  A name longer than 200 characters is refused.
    char name[260], extra[400];
    memset (name, 'n', 201);
    name[201] = 0;
    snprintf (extra, sizeof extra, "\"requester\": {\"name\": \"%s\", \"email\": \"a@b.org\"}", name);
    s_refuse (extra, OPD_REJ_INVALID, "requester.name");
}

static void
test_intake_received_at_at_most_5_minutes_ahead (void **state)
{
    (void) state;
    char extra[100];
    snprintf (extra, sizeof extra, "\"received_at\": %lld", NOW + 5 * 60 * 1000 + 1);
    s_refuse (extra, OPD_REJ_INVALID, "received_at");
    snprintf (extra, sizeof extra, "\"received_at\": %lld", NOW + 5 * 60 * 1000);
    opd_submit_t *m = s_accept (extra);
    assert_int_equal (m->received_at, NOW + 5 * 60 * 1000);
    opd_submit_destroy (&m);
    //  Long ago is fine: imports and delayed mail.
    snprintf (extra, sizeof extra, "\"received_at\": %lld", NOW - 400LL * 86400 * 1000);
    m = s_accept (extra);
    assert_int_equal (m->received_at, NOW - 400LL * 86400 * 1000);
    opd_submit_destroy (&m);
    m = s_accept ("\"received_at\": null");
    assert_int_equal (m->received_at, NOW);
    opd_submit_destroy (&m);
}

static void
test_intake_category_and_request_type_must_be_configured (void **state)
{
    (void) state;
    s_refuse ("\"category\": \"hardware/phone\"", OPD_REJ_INVALID, "category");
    s_refuse ("\"category\": \"laptop\"", OPD_REJ_INVALID, "category");
    s_refuse ("\"category\": \"hardware/\"", OPD_REJ_INVALID, "category");
    opd_submit_t *m = s_accept ("\"category\": \"hardware/laptop\"");
    assert_string_equal (m->category, "hardware/laptop");
    opd_submit_destroy (&m);
    m = s_accept ("\"category\": \"access\"");
    opd_submit_destroy (&m);
    s_refuse ("\"request_type\": \"new-phone\"", OPD_REJ_INVALID, "request_type");
}

static void
test_intake_custom_fields_are_checked (void **state)
{
    (void) state;
    const char *rt = "\"request_type\": \"new-laptop\", ";
    char extra[400];
#define FIELDS(f) (snprintf (extra, sizeof extra, "%s\"fields\": {%s}", rt, f), extra)
    opd_submit_t *m = s_accept (FIELDS ("\"cost_centre\": \"123456\", \"model\": \"developer\","
                                        " \"manager_email\": \"boss@example.org\", \"seats\": 3,"
                                        " \"urgent\": true, \"needed_by\": \"2026-02-28\","
                                        " \"unlisted\": \"dropped\""));
    assert_string_equal (m->kind, "service_request");  //  the default with request_type
    assert_string_equal (m->request_type, "new-laptop");
    json_t *f = json_loads (m->fields_json, 0, NULL);
    assert_non_null (f);
    assert_string_equal (json_string_value (json_object_get (f, "cost_centre")), "123456");
    assert_string_equal (json_string_value (json_object_get (f, "model")), "developer");
    assert_int_equal (json_integer_value (json_object_get (f, "seats")), 3);
    assert_true (json_is_true (json_object_get (f, "urgent")));
    assert_null (json_object_get (f, "unlisted"));  //  not a field of this type
    json_decref (f);
    assert_null (m->missing_json);
    opd_submit_destroy (&m);

    s_refuse (FIELDS ("\"cost_centre\": \"12345\", \"model\": \"standard\""), OPD_REJ_INVALID,
              "fields.cost_centre");
    s_refuse (FIELDS ("\"cost_centre\": \"1234567\", \"model\": \"standard\""), OPD_REJ_INVALID,
              "fields.cost_centre");
    s_refuse (FIELDS ("\"cost_centre\": 123456, \"model\": \"standard\""), OPD_REJ_INVALID,
              "fields.cost_centre");
    s_refuse (FIELDS ("\"cost_centre\": \"123456\", \"model\": \"gaming\""), OPD_REJ_INVALID,
              "fields.model");
    s_refuse (FIELDS ("\"cost_centre\": \"123456\", \"model\": \"Standard\""), OPD_REJ_INVALID,
              "fields.model");
    s_refuse (FIELDS ("\"cost_centre\": \"123456\", \"model\": \"standard\", \"manager_email\": "
                      "\"boss\""),
              OPD_REJ_INVALID, "fields.manager_email");
    s_refuse (FIELDS ("\"cost_centre\": \"123456\", \"model\": \"standard\", \"seats\": \"3\""),
              OPD_REJ_INVALID, "fields.seats");
    s_refuse (FIELDS ("\"cost_centre\": \"123456\", \"model\": \"standard\", \"urgent\": 1"),
              OPD_REJ_INVALID, "fields.urgent");
    s_refuse (FIELDS ("\"cost_centre\": \"123456\", \"model\": \"standard\", \"needed_by\": "
                      "\"2026-02-30\""),
              OPD_REJ_INVALID, "fields.needed_by");

    //  A missing required field is accepted and named in missing_json.
    m = s_accept (FIELDS ("\"model\": \"standard\""));
    assert_string_equal (m->missing_json, "[\"cost_centre\"]");
    opd_submit_destroy (&m);
    m = s_accept (FIELDS ("\"cost_centre\": \"\", \"model\": \"standard\""));
    assert_string_equal (m->missing_json, "[\"cost_centre\"]");
    opd_submit_destroy (&m);
    m = s_accept ("\"request_type\": \"new-laptop\"");
    assert_string_equal (m->missing_json, "[\"cost_centre\",\"model\"]");
    assert_null (m->fields_json);
    opd_submit_destroy (&m);
    //  Without a request type, fields are kept as given (scalars).
    m = s_accept ("\"fields\": {\"asset\": \"L-1234\", \"floor\": 3}");
    f = json_loads (m->fields_json, 0, NULL);
    assert_string_equal (json_string_value (json_object_get (f, "asset")), "L-1234");
    assert_int_equal (json_integer_value (json_object_get (f, "floor")), 3);
    json_decref (f);
    assert_null (m->missing_json);
    opd_submit_destroy (&m);
    //  An explicit kind wins over the default.
    m = s_accept ("\"request_type\": \"new-laptop\", \"kind\": \"incident\"");
    assert_string_equal (m->kind, "incident");
    opd_submit_destroy (&m);
#undef FIELDS
}

static void
test_intake_priority_from_the_matrix (void **state)
{
    (void) state;
    static const struct {
        const char *impact, *urgency, *want;
    } cases[] = {
        {"high", "high", "P1"}, {"high", "medium", "P2"}, {"high", "low", "P3"},
        {"medium", "high", "P2"}, {"medium", "medium", "P3"}, {"medium", "low", "P4"},
        {"low", "high", "P3"}, {"low", "medium", "P4"}, {"low", "low", "P4"},
    };
    char extra[200];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf (extra, sizeof extra, "\"impact\": \"%s\", \"urgency\": \"%s\"", cases[i].impact,
                  cases[i].urgency);
        opd_submit_t *m = s_accept (extra);
        assert_string_equal (m->priority, cases[i].want);
        assert_string_equal (m->impact, cases[i].impact);
        opd_submit_destroy (&m);
    }
    //  An explicit priority wins; one of the two alone gives none.
    opd_submit_t *m = s_accept ("\"impact\": \"high\", \"urgency\": \"high\", \"priority\": \"P4\"");
    assert_string_equal (m->priority, "P4");
    opd_submit_destroy (&m);
    m = s_accept ("\"impact\": \"high\"");
    assert_null (m->priority);
    opd_submit_destroy (&m);
}

static void
test_intake_unknown_keys_are_ignored (void **state)
{
    (void) state;
    opd_submit_t *m = s_accept ("\"x_adapter_version\": \"2.1\", \"spam_score\": 0.3,"
                                " \"headers\": {\"X-Mailer\": [\"a\", 1, null, true]},"
                                " \"requester\": {\"email\": \"rita@example.com\", \"dept\": 7}");
    assert_string_equal (m->req_email, "rita@example.com");
    opd_submit_destroy (&m);
    //  Non-string keys in the root are ignored too.
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    msgpack_packer pk;
    msgpack_packer_init (&pk, &buf, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, 7);
    opd_pack_kv_int (&pk, "v", 1);
    opd_pack_kv_str (&pk, "type", "intake.submit");
    opd_pack_kv_str (&pk, "channel", "api");
    opd_pack_kv_str (&pk, "external_id", "x1");
    opd_pack_kv_str (&pk, "subject", "Hello");
    opd_pack_str (&pk, "requester");
    msgpack_pack_map (&pk, 1);
    opd_pack_kv_str (&pk, "email", "a@b.org");
    msgpack_pack_int (&pk, 99);
    msgpack_pack_bin_with_body (&pk, "\xff\xfe", 2);
    opd_reject_t rej;
    assert_int_equal (opd_submit_decode (buf.data, buf.size, s_cfg, NOW, &m, &rej), 0);
    opd_submit_destroy (&m);
    msgpack_sbuffer_destroy (&buf);
}

static void
test_intake_reply_to_attachments_and_flags (void **state)
{
    (void) state;
    opd_submit_t *m = s_accept (
        "\"reply_to\": \"OPD-7\", \"suppress_ack\": true,"
        " \"attachments\": [{\"name\": \"log.txt\", \"content_type\": \"text/plain\", \"size\": 12,"
        " \"sha256\": \"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\"},"
        " {\"name\": \"shot.png\"}]");
    assert_string_equal (m->reply_to, "OPD-7");
    assert_true (m->suppress_ack);
    json_t *a = json_loads (m->attachments_json, 0, NULL);
    assert_int_equal (json_array_size (a), 2);
    assert_string_equal (json_string_value (json_object_get (json_array_get (a, 0), "name")),
                         "log.txt");
    assert_int_equal (json_integer_value (json_object_get (json_array_get (a, 0), "size")), 12);
    assert_true (json_is_null (json_object_get (json_array_get (a, 1), "size")));
    json_decref (a);
    opd_submit_destroy (&m);
    //  Hex digits of any length and case, kept in lower case (decision 186).
    m = s_accept ("\"attachments\": [{\"name\": \"a\", \"sha256\": \"ABC123\"}]");
    a = json_loads (m->attachments_json, 0, NULL);
    assert_string_equal (json_string_value (json_object_get (json_array_get (a, 0), "sha256")), "abc123");
    json_decref (a);
    opd_submit_destroy (&m);
    //  A Message-ID with or without its angle brackets is the same id;
    //  only one enclosing pair goes, and "<>" stays.
    m = s_accept ("\"reply_to\": \"<a1@example.org>\", \"external_id\": \"<<x>>\"");
    assert_string_equal (m->reply_to, "a1@example.org");
    assert_string_equal (m->external_id, "<x>");
    opd_submit_destroy (&m);
    m = s_accept ("\"reply_to\": \"<>\", \"external_id\": \"x>\"");
    assert_string_equal (m->reply_to, "<>");
    assert_string_equal (m->external_id, "x>");
    opd_submit_destroy (&m);
    //  An empty reply_to is no reply.
    m = s_accept ("\"reply_to\": \"\"");
    assert_null (m->reply_to);
    opd_submit_destroy (&m);
}

//  An adapter vouches for an agent with the agent key; intake checks that
//  the agent exists and is the sender (issue 8: never the address alone).
static void
test_intake_agent_must_be_the_sender (void **state)
{
    (void) state;
    opd_submit_t *m = s_accept ("\"requester\": {\"email\": \"Alice@Example.org\"}, \"agent\": \"alice\","
                                " \"reply_to\": \"OPD-1\"");
    assert_string_equal (m->agent, "alice");
    opd_submit_destroy (&m);
    m = s_accept ("\"requester\": {\"email\": \"alice@example.org\"}, \"reply_to\": \"OPD-1\"");
    assert_null (m->agent);
    opd_submit_destroy (&m);
    s_refuse ("\"agent\": \"alice\"", OPD_REJ_INVALID, "agent");
    s_refuse ("\"requester\": {\"email\": \"alice@example.org\"}, \"agent\": \"carol\"", OPD_REJ_INVALID, "agent");
    s_refuse ("\"requester\": {\"phone\": \"+441234567890\"}, \"agent\": \"bob\"", OPD_REJ_INVALID, "agent");
    s_refuse ("\"agent\": 7", OPD_REJ_INVALID, "agent");
}

static void
test_intake_rejections_stay_utf8_when_cut_short (void **state)
{
    (void) state;
    //  "éa" is 3 bytes: a cut after 64 bytes falls inside a character.
    char text[200] = "", extra[400];
    for (int i = 0; i < 30; i++)
        strcat (text, "\xc3\xa9" "a");
    opd_submit_t *m = NULL;
    opd_reject_t rej;
    snprintf (extra, sizeof extra, "\"type\": \"%s\"", text);
    char *msg = s_msg (extra);
    assert_int_equal (s_decode_json (msg, &m, &rej), -1);
    free (msg);
    assert_string_equal (rej.key, "type");
    assert_true (opd_utf8_valid (rej.message, strlen (rej.message)));
    //  The same for a path that names a long key.
    snprintf (extra, sizeof extra, "\"%s\": {\"x\": \"" MARKER "\"}", text);
    msg = s_msg (extra);
    assert_int_equal (s_decode_json (msg, &m, &rej), -1);
    free (msg);
    assert_int_equal (rej.code, OPD_REJ_INVALID);
    assert_true (opd_utf8_valid (rej.key, strlen (rej.key)));
    assert_true (opd_utf8_valid (rej.message, strlen (rej.message)));
    assert_true (strlen (rej.key) > 0);
}

static void
test_intake_replies_round_trip (void **state)
{
    (void) state;
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    opd_pack_accepted (&buf, "OPD-42", true);
    opd_intake_reply_t r;
    assert_int_equal (opd_intake_reply_decode (buf.data, buf.size, &r), 0);
    assert_true (r.accepted);
    assert_true (r.created);
    assert_string_equal (r.ticket_id, "OPD-42");
    msgpack_sbuffer_clear (&buf);
    opd_reject_t rej = {.code = OPD_REJ_TOO_LARGE};
    snprintf (rej.key, sizeof rej.key, "body");
    snprintf (rej.message, sizeof rej.message, "body is larger than 200 bytes");
    opd_pack_rejected (&buf, &rej);
    assert_int_equal (opd_intake_reply_decode (buf.data, buf.size, &r), 0);
    assert_false (r.accepted);
    assert_string_equal (r.code, "too_large");
    assert_string_equal (r.error, "body is larger than 200 bytes");
    //  invalid names its key always: "" for the message as a whole.
    msgpack_sbuffer_clear (&buf);
    opd_reject_t whole = {.code = OPD_REJ_INVALID};
    snprintf (whole.message, sizeof whole.message, "the message is not a msgpack map");
    opd_pack_rejected (&buf, &whole);
    assert_int_equal ((unsigned char) buf.data[0], 0x85);  //  a map of five
    assert_non_null (memmem (buf.data, buf.size, "\xa3key\xa0", 5));
    msgpack_sbuffer_clear (&buf);
    opd_reject_t down = {.code = OPD_REJ_UNAVAILABLE};
    opd_pack_rejected (&buf, &down);
    assert_int_equal ((unsigned char) buf.data[0], 0x84);  //  no key: none is at fault
    msgpack_sbuffer_destroy (&buf);
    assert_int_equal (opd_intake_reply_decode ("\xdb\xff\xff\xff\xff", 5, &r), -1);
    assert_string_equal (opd_reject_code_name (OPD_REJ_UNAVAILABLE), "unavailable");
    assert_string_equal (opd_reject_code_name (OPD_REJ_UNSUPPORTED_VERSION), "unsupported_version");
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_intake_accepts_a_plain_message),
        cmocka_unit_test (test_intake_subject_counts_characters_not_bytes),
        cmocka_unit_test (test_intake_body_over_limit_is_too_large),
        cmocka_unit_test (test_intake_frame_over_limit_is_too_large),
        cmocka_unit_test (test_intake_invalid_utf8_anywhere_names_the_path),
        cmocka_unit_test (test_intake_version_must_be_1),
        cmocka_unit_test (test_intake_wrong_types_are_invalid),
        cmocka_unit_test (test_intake_requester_needs_email_or_phone),
        cmocka_unit_test (test_intake_received_at_at_most_5_minutes_ahead),
        cmocka_unit_test (test_intake_category_and_request_type_must_be_configured),
        cmocka_unit_test (test_intake_custom_fields_are_checked),
        cmocka_unit_test (test_intake_priority_from_the_matrix),
        cmocka_unit_test (test_intake_unknown_keys_are_ignored),
        cmocka_unit_test (test_intake_reply_to_attachments_and_flags),
        cmocka_unit_test (test_intake_agent_must_be_the_sender),
        cmocka_unit_test (test_intake_rejections_stay_utf8_when_cut_short),
        cmocka_unit_test (test_intake_replies_round_trip),
        cmocka_unit_test (test_submit_samples_round_trip),
    };
    return cmocka_run_group_tests (tests, config_setup, config_teardown);
}
