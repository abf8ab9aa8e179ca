/*  Unit tests of the notifier's mail composition (services/notifier/mail.c)
    and webhook encoding (services/notifier/webhook.c): header safety,
    RFC 2047, the footer, acknowledgement wording, threading, the JSON of
    events and their signature. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "config_fixture.h"

#include "notifier/mail.c"
#include "notifier/mail_format.c"
#include "notifier/webhook.c"
#include "opd_config.h"
#include <msgpack.h>
#include <string.h>
#include <time.h>

static const char *s_config =
    "ticket_prefix: OPD\n"
    "calendars:\n"
    "  uk-office: {timezone: Europe/London, hours: {mon: ['08:00-18:00'], tue: ['08:00-18:00'],"
    " wed: ['08:00-18:00'], thu: ['08:00-18:00'], fri: ['08:00-17:00']}}\n"
    "  always: {timezone: UTC, hours: 24x7}\n"
    "slo_policies:\n"
    "  - {name: p1, match: {priority: P1}, calendar: always, first_response: 15m, resolution: 4h}\n"
    "  - {name: standard, match: {}, calendar: uk-office, first_response: 4h, resolution: 16h}\n"
    "default_priority: P3\n"
    "categories: {network: {vpn: {}}}\n"
    "teams: [{id: service-desk, name: Service Desk, calendar: uk-office, min_on_duty: 1}]\n"
    "default_team: service-desk\n"
    "agents: [{id: alice, name: Alice Jones, email: alice@example.org, teams: [service-desk]},\n"
    "         {id: zoe, name: Zoë Çelik, email: zoe@example.org, teams: [service-desk]}]\n"
    "standard_responses:\n"
    "  - {id: vpn-basics, subject: VPN troubleshooting, body: Please restart the VPN client and try again.,"
    " guide_url: 'https://wiki.example.org/vpn'}\n"
    "  - {id: greet, subject: 'For {{requester.name}}', body: 'Hello {{requester.name}}.'}\n"
    "footer: |\n"
    "  Service Desk, phone +44 20 7946 0000. Reply to this message to update your request.\n"
    "request_types:\n"
    "  - id: new-laptop\n"
    "    name: New laptop\n"
    "    fields:\n"
    "      - {name: cost_centre, label: Cost centre, type: string, required: true}\n"
    "      - {name: model, type: enum, values: [standard, developer], required: true}\n"
    "notifications: {smtp: {url: 'smtp://127.0.0.1:2525', from: servicedesk@example.org}}\n";

CONFIG_FIXTURE (s_config)

static int64_t
utc (int y, int mo, int d, int h, int mi)
{
    struct tm tm = {0};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    return (int64_t) timegm (&tm) * 1000;
}

//  A ticket hash from name/value pairs ending with NULL.
static GHashTable *
ticket (const char *first, ...)
{
    GHashTable *t = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
    va_list ap;
    va_start (ap, first);
    for (const char *k = first; k; k = va_arg (ap, const char *))
        g_hash_table_insert (t, g_strdup (k), g_strdup (va_arg (ap, const char *)));
    va_end (ap);
    return t;
}

//  The header block (up to the blank line) and the body of a message.
static void
split (const mail_t *m, char **head, char **body)
{
    const char *sep = strstr (m->data, "\r\n\r\n");
    assert_non_null (sep);
    *head = g_strndup (m->data, (gsize) (sep - m->data + 2));
    *body = g_strdup (sep + 4);
}

//  The value of a header (unfolded), or NULL.
static char *
header (const char *head, const char *name)
{
    size_t n = strlen (name);
    for (const char *p = head; *p;) {
        const char *eol = strstr (p, "\r\n");
        if (!eol)
            break;
        if (!g_ascii_strncasecmp (p, name, n) && p[n] == ':') {
            GString *v = g_string_new_len (p + n + 1, eol - (p + n + 1));
            //  Folded continuation lines.
            while (eol[2] == ' ' || eol[2] == '\t') {
                const char *next = strstr (eol + 2, "\r\n");
                g_string_append_len (v, eol + 2, next - (eol + 2));
                eol = next;
            }
            char *s = g_strdup (g_strstrip (v->str));
            g_string_free (v, TRUE);
            return s;
        }
        p = eol + 2;
    }
    return NULL;
}

//  The ticket as the notifier reads it (opd_store_ticket_read), borrowing
//  the table's strings; valid until the next call.
static const opd_ticket_t *
view (GHashTable *h)
{
    static opd_ticket_t t;
    memset (&t, 0, sizeof t);
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init (&it, h);
    while (g_hash_table_iter_next (&it, &k, &v))
        opd_ticket_set (&t, k, v);
    return &t;
}

static GHashTable *
plain_ticket (void)
{
    return ticket ("id", "OPD-42", "subject", "Printer on floor 3 is jammed", "req_name", "Rita",
                   "req_email", "rita@example.com", "channel", "api", "external_id", "x-1", NULL);
}

static void
test_mail_ack_has_tag_ids_and_footer (void **state)
{
    (void) state;
    GHashTable *t = plain_ticket ();
    mail_input_t in = {"ack", 17, view (t), NULL, utc (2026, 11, 24, 9, 0), NULL, NULL, 0, NULL, NULL};
    mail_t m;
    const char *why;
    assert_int_equal (mail_compose (s_cfg, &in, &m, &why), 0);
    char *head, *body;
    split (&m, &head, &body);
    char *v = header (head, "Subject");
    assert_string_equal (v, "[OPD-42] Printer on floor 3 is jammed");
    g_free (v);
    v = header (head, "Message-ID");
    assert_string_equal (v, "<opdesk.OPD-42.17@example.org>");
    assert_string_equal (m.message_id, v);
    g_free (v);
    v = header (head, "Date");
    assert_string_equal (v, "Tue, 24 Nov 2026 09:00:00 +0000");
    g_free (v);
    v = header (head, "Auto-Submitted");
    assert_string_equal (v, "auto-replied");
    g_free (v);
    v = header (head, "To");
    assert_string_equal (v, "rita@example.com");
    g_free (v);
    v = header (head, "From");
    assert_string_equal (v, "servicedesk@example.org");
    g_free (v);
    v = header (head, "Content-Type");
    assert_string_equal (v, "text/plain; charset=utf-8");
    g_free (v);
    assert_null (header (head, "In-Reply-To"));
    assert_string_equal (m.to, "rita@example.com");
    assert_non_null (strstr (body, "reference OPD-42"));
    //  The footer ends the message, after the "-- " separator line.
    const char *sig = strstr (body, "\r\n-- \r\n");
    assert_non_null (sig);
    assert_string_equal (sig + 7,
                         "Service Desk, phone +44 20 7946 0000. Reply to this message to update "
                         "your request.\r\n");
    //  Every line ends CRLF: no bare LF anywhere.
    for (const char *p = m.data; *p; p++)
        if (*p == '\n')
            assert_true (p > m.data && p[-1] == '\r');
    g_free (head);
    g_free (body);
    mail_clear (&m);
    g_hash_table_destroy (t);
}

static void
test_mail_header_injection_is_neutralised (void **state)
{
    (void) state;
    GHashTable *t = ticket ("id", "OPD-7", "subject", "Hello\r\nBcc: evil@example.com\r\n\r\nbody",
                            "req_name", "Eve\r\nCc: x@example.com", "req_email", "eve@example.com",
                            NULL);
    mail_input_t in = {"ack", 1, view (t), NULL, 0, NULL, NULL, 0, NULL, NULL};
    mail_t m;
    const char *why;
    assert_int_equal (mail_compose (s_cfg, &in, &m, &why), 0);
    char *head, *body;
    split (&m, &head, &body);
    assert_null (header (head, "Bcc"));
    assert_null (header (head, "Cc"));
    assert_null (strstr (head, "\r\nBcc"));
    char *v = header (head, "Subject");
    assert_string_equal (v, "[OPD-7] Hello Bcc: evil@example.com body");
    g_free (v);
    //  The name reaches only the body, on one line.
    assert_non_null (strstr (body, "Hello Eve Cc: x@example.com,"));
    g_free (head);
    g_free (body);
    mail_clear (&m);
    g_hash_table_destroy (t);

    char *clean = mail_header_clean ("a\tb\x01\x7f c\xc2\x85\xe2\x80\xa8 d  ");
    assert_string_equal (clean, "a b c d");
    free (clean);
}

static void
test_mail_non_ascii_subject_is_rfc2047 (void **state)
{
    (void) state;
    const char *subject = "Drucker im 3. Stock läuft nicht – bitte prüfen, es ist dringend, "
                          "wirklich sehr dringend ✓";
    GHashTable *t = ticket ("id", "OPD-9", "subject", subject, "req_email", "u@example.com", NULL);
    mail_input_t in = {"ack", 3, view (t), NULL, 0, NULL, NULL, 0, NULL, NULL};
    mail_t m;
    const char *why;
    assert_int_equal (mail_compose (s_cfg, &in, &m, &why), 0);
    char *head, *body;
    split (&m, &head, &body);
    //  Headers are ASCII, lines short.
    for (const char *p = head; *p; p++)
        assert_true ((unsigned char) *p < 0x80);
    for (const char *p = head; *p;) {
        const char *eol = strstr (p, "\r\n");
        assert_true (eol - p <= 78);
        p = eol + 2;
    }
    //  Decoding the encoded words gives the subject back.
    char *v = header (head, "Subject");
    GString *dec = g_string_new (NULL);
    for (char *w = strstr (v, "=?UTF-8?B?"); w; w = strstr (w, "=?UTF-8?B?")) {
        w += 10;
        char *end = strstr (w, "?=");
        char *b64 = g_strndup (w, (gsize) (end - w));
        gsize n;
        guchar *raw = g_base64_decode (b64, &n);
        g_string_append_len (dec, (const char *) raw, (gssize) n);
        g_free (raw);
        g_free (b64);
        w = end + 2;
    }
    char *want = g_strdup_printf ("[OPD-9] %s", subject);
    assert_string_equal (dec->str, want);
    assert_true (g_utf8_validate (dec->str, -1, NULL));
    g_free (want);
    g_string_free (dec, TRUE);
    g_free (v);
    g_free (head);
    g_free (body);
    mail_clear (&m);
    g_hash_table_destroy (t);
}

static void
test_mail_ack_uses_standard_response (void **state)
{
    (void) state;
    GHashTable *t = ticket ("id", "OPD-5", "subject", "VPN is down", "req_email", "r@example.com",
                            "stdresp", "vpn-basics", NULL);
    mail_input_t in = {"ack", 5, view (t), NULL, 0, NULL, NULL, 0, NULL, NULL};
    mail_t m;
    const char *why;
    assert_int_equal (mail_compose (s_cfg, &in, &m, &why), 0);
    char *head, *body;
    split (&m, &head, &body);
    char *v = header (head, "Subject");
    //  The ticket's own subject; the response's is the first line of its text.
    assert_string_equal (v, "[OPD-5] VPN is down");
    g_free (v);
    assert_non_null (strstr (body, "VPN troubleshooting\r\n\r\nPlease restart the VPN client and try again."));
    assert_non_null (strstr (body, "Guide: https://wiki.example.org/vpn\r\n"));
    assert_non_null (strstr (body, "\"VPN is down\" (reference OPD-5)"));
    assert_true (strstr (body, "Guide") < strstr (body, "\r\n-- \r\n"));
    assert_null (m.held_response);
    g_free (head);
    g_free (body);
    mail_clear (&m);
    g_hash_table_destroy (t);
}

//  A response with a variable the ticket has no value for is held: the
//  plain acknowledgement is composed and the mail says which was held.
static void
test_mail_ack_holds_a_response_without_a_value (void **state)
{
    (void) state;
    GHashTable *t = ticket ("id", "OPD-6", "subject", "Hello", "req_email", "r@example.com",
                            "stdresp", "greet", NULL);
    mail_input_t in = {"ack", 6, view (t), NULL, 0, NULL, NULL, 0, NULL, NULL};
    mail_t m;
    const char *why;
    assert_int_equal (mail_compose (s_cfg, &in, &m, &why), 0);
    assert_string_equal (m.held_response, "greet");
    assert_string_equal (m.held_variable, "requester.name");
    assert_null (strstr (m.data, "{{"));
    assert_non_null (strstr (m.data, "logged it with reference OPD-6"));
    mail_clear (&m);
    g_hash_table_insert (t, g_strdup ("req_name"), g_strdup ("Rita"));
    in.ticket = view (t);
    assert_int_equal (mail_compose (s_cfg, &in, &m, &why), 0);
    assert_null (m.held_response);
    assert_non_null (strstr (m.data, "For Rita\r\n\r\nHello Rita."));
    mail_clear (&m);
    g_hash_table_destroy (t);
}

static void
test_mail_ack_states_targets_in_calendar_zone (void **state)
{
    (void) state;
    char fr[32], res[32];
    //  09:00 UTC in July is 10:00 in London (BST).
    snprintf (fr, sizeof fr, "%lld", (long long) utc (2026, 7, 7, 9, 0));
    snprintf (res, sizeof res, "%lld", (long long) utc (2026, 7, 8, 15, 30));
    GHashTable *t = ticket ("id", "OPD-6", "subject", "x", "req_email", "r@example.com",
                            "slo_policy", "standard", "fr_due", fr, "fr_state", "running",
                            "res_due", res, "res_state", "running", NULL);
    mail_input_t in = {"ack", 6, view (t), NULL, 0, NULL, NULL, 0, NULL, NULL};
    mail_t m;
    const char *why;
    assert_int_equal (mail_compose (s_cfg, &in, &m, &why), 0);
    assert_non_null (strstr (m.data, "We aim to respond by Tuesday 7 July 2026 10:00 (Europe/London) "
                                     "and to resolve it by Wednesday 8 July 2026 16:30 "
                                     "(Europe/London)."));
    mail_clear (&m);
    //  A met first response is not promised again; the p1 policy is UTC.
    g_hash_table_insert (t, g_strdup ("fr_state"), g_strdup ("met"));
    g_hash_table_insert (t, g_strdup ("slo_policy"), g_strdup ("p1"));
    in.ticket = view (t);
    assert_int_equal (mail_compose (s_cfg, &in, &m, &why), 0);
    assert_null (strstr (m.data, "respond by"));
    assert_non_null (strstr (m.data, "We aim to resolve it by Wednesday 8 July 2026 15:30 (UTC)."));
    mail_clear (&m);
    g_hash_table_destroy (t);

    char buf[96];
    mail_when (utc (2026, 11, 24, 10, 0), "Europe/London", buf, sizeof buf);
    assert_string_equal (buf, "Tuesday 24 November 2026 10:00 (Europe/London)");
    mail_when (utc (2026, 11, 24, 10, 0), "No/Such_Zone", buf, sizeof buf);
    assert_string_equal (buf, "Tuesday 24 November 2026 10:00 (UTC)");
}

//  The requester's chosen zone wins over the calendar's, on both sides of
//  the US change back to standard time (1 November 2026, 07:00 UTC), and a
//  zone that is not a tz database name falls back to the calendar's.
static void
test_mail_ack_states_targets_in_the_requesters_zone (void **state)
{
    (void) state;
    char fr[32], res[32];
    snprintf (fr, sizeof fr, "%lld", (long long) utc (2026, 11, 1, 6, 30));   //  01:30 CDT
    snprintf (res, sizeof res, "%lld", (long long) utc (2026, 11, 1, 7, 30));  //  01:30 CST
    GHashTable *t = ticket ("id", "OPD-7", "subject", "x", "req_email", "r@example.com",
                            "slo_policy", "standard", "fr_due", fr, "fr_state", "running",
                            "res_due", res, "res_state", "running", NULL);
    mail_input_t in = {"ack", 7, view (t), NULL, 0, NULL, NULL, 0, NULL, "America/Chicago"};
    mail_t m;
    const char *why;
    assert_int_equal (mail_compose (s_cfg, &in, &m, &why), 0);
    assert_non_null (strstr (m.data, "We aim to respond by Sunday 1 November 2026 01:30 (America/Chicago) "
                                     "and to resolve it by Sunday 1 November 2026 01:30 "
                                     "(America/Chicago)."));
    mail_clear (&m);
    in.zone = "../../etc/localtime";
    assert_int_equal (mail_compose (s_cfg, &in, &m, &why), 0);
    assert_non_null (strstr (m.data, "We aim to respond by Sunday 1 November 2026 06:30 (Europe/London)"));
    mail_clear (&m);
    g_hash_table_destroy (t);

    assert_null (opd_req_tz_check ("America/Chicago"));
    assert_null (opd_req_tz_check ("UTC"));
    const char *bad[] = {"Mars/Olympus", "+05:00", "/etc/localtime", "EST5EDT,M3.2.0,M11.1.0", "", NULL};
    for (int i = 0; i < 6; i++)
        assert_non_null (opd_req_tz_check (bad[i]));
    assert_string_equal (opd_req_tz_pick (s_cfg, "Asia/Tokyo", "standard"), "Asia/Tokyo");
    assert_string_equal (opd_req_tz_pick (s_cfg, NULL, "standard"), "Europe/London");
    assert_string_equal (opd_req_tz_pick (s_cfg, "Nowhere", "p1"), "UTC");
    assert_string_equal (opd_req_tz_pick (s_cfg, NULL, "no-such-policy"), "UTC");
}

static void
test_mail_ack_lists_missing_fields (void **state)
{
    (void) state;
    GHashTable *t = ticket ("id", "OPD-8", "subject", "Laptop please", "req_email", "r@example.com",
                            "request_type", "new-laptop", "missing", "[\"cost_centre\",\"model\"]",
                            NULL);
    mail_input_t in = {"ack", 8, view (t), NULL, 0, NULL, NULL, 0, NULL, NULL};
    mail_t m;
    const char *why;
    assert_int_equal (mail_compose (s_cfg, &in, &m, &why), 0);
    assert_non_null (strstr (m.data, "are missing:\r\n  - Cost centre\r\n  - model\r\n"));
    //  Without a link (the notifier makes one): how to answer by mail.
    assert_non_null (strstr (m.data, "Please reply to this message with one line for each, such as:\r\n"
                                     "  Cost centre: ...\r\n"));
    assert_null (strstr (m.data, "/details/"));
    mail_clear (&m);
    //  With the notifier's link: the form first, then the reply.
    in.link = "https://desk.example.org/details/abc";
    in.link_expires_ms = utc (2026, 11, 24, 10, 0);
    assert_int_equal (mail_compose (s_cfg, &in, &m, &why), 0);
    assert_non_null (strstr (m.data, "You can give them on this form (the link works until Tuesday 24 November "
                                     "2026 10:00 (UTC)):\r\n\r\nhttps://desk.example.org/details/abc\r\n"));
    mail_clear (&m);
    g_hash_table_destroy (t);
}

static void
test_mail_skips_without_email_or_when_anonymised (void **state)
{
    (void) state;
    mail_t m;
    const char *why;
    GHashTable *t = ticket ("id", "OPD-1", "subject", "x", "req_phone", "+441234567890", NULL);
    mail_input_t in = {"ack", 1, view (t), NULL, 0, NULL, NULL, 0, NULL, NULL};
    assert_int_equal (mail_compose (s_cfg, &in, &m, &why), -1);
    assert_string_equal (why, "no email");
    assert_null (m.data);
    g_hash_table_destroy (t);
    t = ticket ("id", "OPD-1", "subject", "x", "req_email", "a@example.com", "anonymised", "1", NULL);
    in.ticket = view (t);
    assert_int_equal (mail_compose (s_cfg, &in, &m, &why), -1);
    assert_string_equal (why, "anonymised");
    g_hash_table_destroy (t);
    //  An address with a line break never becomes a recipient.
    t = ticket ("id", "OPD-1", "subject", "x", "req_email", "a@example.com\r\nBcc: b@example.com", NULL);
    in.ticket = view (t);
    assert_int_equal (mail_compose (s_cfg, &in, &m, &why), -1);
    assert_string_equal (why, "no email");
    g_hash_table_destroy (t);
}

//  The assignee hears of the requester's reply, with a Reply-To that is the
//  agent's own reply address for this ticket (issue 8).
static void
test_mail_agent_gets_requester_reply_with_reply_token (void **state)
{
    (void) state;
    char *text = opd_sprintf ("%schannels: {email: {agent_mail: {secret: unit-test-secret-0123456}}}\n", s_config);
    char err[256];
    opd_config_t *cfg = opd_config_parse (text, strlen (text), "test", err, sizeof err);
    free (text);
    assert_non_null (cfg);
    GHashTable *t = ticket ("id", "OPD-42", "subject", "Printer jammed", "req_email", "rita@example.com",
                            "assignee", "alice", "channel", "email", "external_id", "<r1@example.com>", NULL);
    mail_input_t in = {"agent", 12, view (t),
                       "{\"id\":3,\"author\":\"rita@example.com\",\"role\":\"requester\",\"public\":true,"
                       "\"body\":\"Still jammed after the restart.\",\"at\":1}",
                       0, NULL, NULL, 0, NULL, NULL};
    mail_t m;
    const char *why = NULL;
    assert_int_equal (mail_compose (cfg, &in, &m, &why), 0);
    assert_string_equal (m.to, "alice@example.org");
    char *reply = opd_reply_address (cfg, "OPD-42", "alice");
    char *want = opd_sprintf ("\r\nReply-To: %s\r\n", reply);
    assert_non_null (strstr (m.data, want));
    assert_non_null (strstr (m.data, "\r\nTo: alice@example.org\r\n"));
    assert_non_null (strstr (m.data, "Still jammed after the restart."));
    assert_non_null (strstr (m.data, "Message-ID: <opdesk.OPD-42.12@example.org>"));
    assert_null (strstr (m.data, "To: rita@example.com"));
    free (want);
    free (reply);
    mail_clear (&m);
    //  Without a secret: the same mail, no Reply-To.
    assert_int_equal (mail_compose (s_cfg, &in, &m, &why), 0);
    assert_null (strstr (m.data, "Reply-To:"));
    mail_clear (&m);
    //  Only a requester's comment, only to an assignee with an address.
    in.comment_json = "{\"id\":4,\"author\":\"alice\",\"role\":\"agent\",\"public\":true,\"body\":\"x\",\"at\":1}";
    assert_int_equal (mail_compose (cfg, &in, &m, &why), -1);
    assert_string_equal (why, "not a requester comment");
    g_hash_table_remove (t, "assignee");
    in.ticket = view (t);
    assert_int_equal (mail_compose (cfg, &in, &m, &why), -1);
    assert_string_equal (why, "no agent email");
    g_hash_table_destroy (t);
    opd_config_destroy (&cfg);
}

static void
test_mail_internal_comment_is_never_mailed (void **state)
{
    (void) state;
    GHashTable *t = plain_ticket ();
    mail_t m;
    const char *why;
    mail_input_t in = {"comment", 2, view (t),
                       "{\"id\":1,\"author\":\"alice\",\"role\":\"agent\",\"public\":false,"
                       "\"body\":\"secret note\",\"at\":1}",
                       0, NULL, NULL, 0, NULL, NULL};
    assert_int_equal (mail_compose (s_cfg, &in, &m, &why), -1);
    assert_string_equal (why, "internal comment");
    in.comment_json = "{\"id\":1,\"author\":\"rita@example.com\",\"role\":\"requester\","
                      "\"public\":true,\"body\":\"hi\",\"at\":1}";
    assert_int_equal (mail_compose (s_cfg, &in, &m, &why), -1);
    assert_string_equal (why, "not an agent comment");
    in.comment_json = "not json";
    assert_int_equal (mail_compose (s_cfg, &in, &m, &why), -1);
    assert_string_equal (why, "no comment");
    g_hash_table_destroy (t);
}

static void
test_mail_public_comment_threads_and_names_agent (void **state)
{
    (void) state;
    GHashTable *t = ticket ("id", "OPD-42", "subject", "Mail is slow", "req_email", "r@example.com",
                            "channel", "email", "external_id", "<CAF123@mail.example.com>",
                            "mail_thread", "<opdesk.OPD-42.3@example.org>", NULL);
    mail_input_t in = {"comment", 11, view (t),
                       "{\"id\":2,\"author\":\"alice\",\"role\":\"agent\",\"public\":true,"
                       "\"body\":\"We restarted the server.\\r\\nPlease try again.\",\"at\":1}",
                       0, NULL, NULL, 0, NULL, NULL};
    mail_t m;
    const char *why;
    assert_int_equal (mail_compose (s_cfg, &in, &m, &why), 0);
    char *head, *body;
    split (&m, &head, &body);
    char *v = header (head, "Subject");
    assert_string_equal (v, "Re: [OPD-42] Mail is slow");
    g_free (v);
    v = header (head, "From");
    assert_string_equal (v, "\"Alice Jones\" <servicedesk@example.org>");
    g_free (v);
    v = header (head, "In-Reply-To");
    assert_string_equal (v, "<opdesk.OPD-42.3@example.org>");
    g_free (v);
    v = header (head, "References");
    assert_string_equal (v, "<CAF123@mail.example.com> <opdesk.OPD-42.3@example.org>");
    g_free (v);
    assert_null (header (head, "Auto-Submitted"));
    assert_true (g_str_has_prefix (body, "We restarted the server.\r\nPlease try again.\r\n"));
    assert_non_null (strstr (body, "\r\n-- \r\nService Desk"));
    g_free (head);
    g_free (body);
    mail_clear (&m);

    //  A non-ASCII agent name is an encoded word.
    in.comment_json = "{\"id\":3,\"author\":\"zoe\",\"role\":\"agent\",\"public\":true,\"body\":\"ok\"}";
    assert_int_equal (mail_compose (s_cfg, &in, &m, &why), 0);
    split (&m, &head, &body);
    v = header (head, "From");
    assert_true (g_str_has_prefix (v, "=?UTF-8?B?"));
    assert_true (g_str_has_suffix (v, "?= <servicedesk@example.org>"));
    g_free (v);
    g_free (head);
    g_free (body);
    mail_clear (&m);
    g_hash_table_destroy (t);
}

static void
test_mail_ack_replies_to_the_requesters_message (void **state)
{
    (void) state;
    GHashTable *t = ticket ("id", "OPD-3", "subject", "x", "req_email", "r@example.com", "channel",
                            "email", "external_id", "abc.def@mail.example.com", NULL);
    mail_input_t in = {"ack", 4, view (t), NULL, 0, NULL, NULL, 0, NULL, NULL};
    mail_t m;
    const char *why;
    assert_int_equal (mail_compose (s_cfg, &in, &m, &why), 0);
    char *head, *body;
    split (&m, &head, &body);
    char *v = header (head, "In-Reply-To");
    assert_string_equal (v, "<abc.def@mail.example.com>");
    g_free (v);
    g_free (head);
    g_free (body);
    mail_clear (&m);
    g_hash_table_destroy (t);

    assert_null (mail_msgid_from_external ("form-post-17"));
    assert_null (mail_msgid_from_external ("<a b@c>"));
    assert_null (mail_msgid_from_external ("a@b\r\nBcc: x@y"));
    char *id = mail_msgid_from_external (" <x@y.z> ");
    assert_string_equal (id, "<x@y.z>");
    free (id);
}

static void
test_mail_long_lines_go_quoted_printable (void **state)
{
    (void) state;
    GString *longbody = g_string_new ("{\"id\":1,\"author\":\"alice\",\"role\":\"agent\",\"public\":true,\"body\":\"");
    for (int i = 0; i < 1200; i++)
        g_string_append_c (longbody, (char) ('a' + i % 26));
    g_string_append (longbody, "=é\"}");
    GHashTable *t = plain_ticket ();
    mail_input_t in = {"comment", 1, view (t), longbody->str, 0, NULL, NULL, 0, NULL, NULL};
    mail_t m;
    const char *why;
    assert_int_equal (mail_compose (s_cfg, &in, &m, &why), 0);
    char *head, *body;
    split (&m, &head, &body);
    char *v = header (head, "Content-Transfer-Encoding");
    assert_string_equal (v, "quoted-printable");
    g_free (v);
    for (const char *p = body; *p;) {
        const char *eol = strstr (p, "\r\n");
        if (!eol)
            break;
        assert_true (eol - p <= 76);
        p = eol + 2;
    }
    assert_non_null (strstr (body, "=3D=C3=A9"));
    assert_non_null (strstr (body, "--=20\r\n"));
    g_free (head);
    g_free (body);
    mail_clear (&m);
    g_hash_table_destroy (t);
    g_string_free (longbody, TRUE);

    char *qp = mail_qp_encode ("a = b \r\nc\t", 10);
    assert_string_equal (qp, "a =3D b=20\r\nc=09");
    free (qp);
}

static void
test_webhook_event_json_has_rfc3339_times (void **state)
{
    (void) state;
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    msgpack_packer pk;
    msgpack_packer_init (&pk, &buf, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, 7);
#define KEY(s) msgpack_pack_str_with_body (&pk, s, strlen (s))
    KEY ("v");
    msgpack_pack_int (&pk, 1);
    KEY ("type");
    KEY ("slo.breach");
    KEY ("ticket_id");
    KEY ("OPD-1");
    KEY ("at");
    msgpack_pack_int64 (&pk, 1700000000000LL);
    KEY ("due_at");
    msgpack_pack_int64 (&pk, 1700000000123LL);
    KEY ("team");
    msgpack_pack_nil (&pk);
    KEY ("elapsed_ratio");
    msgpack_pack_double (&pk, 0.75);
#undef KEY
    char *text = webhook_event_json (buf.data, buf.size, "1700000000000-0");
    assert_non_null (text);
    json_t *j = json_loads (text, 0, NULL);
    assert_non_null (j);
    assert_int_equal (json_integer_value (json_object_get (j, "v")), 1);
    assert_string_equal (json_string_value (json_object_get (j, "type")), "slo.breach");
    assert_string_equal (json_string_value (json_object_get (j, "at")), "2023-11-14T22:13:20Z");
    assert_string_equal (json_string_value (json_object_get (j, "due_at")), "2023-11-14T22:13:20.123Z");
    assert_true (json_is_null (json_object_get (j, "team")));
    assert_true (json_real_value (json_object_get (j, "elapsed_ratio")) == 0.75);
    assert_string_equal (json_string_value (json_object_get (j, "cursor")), "1700000000000-0");
    json_decref (j);
    free (text);
    //  Not a map, or not msgpack: no JSON.
    assert_null (webhook_event_json ("\x01", 1, NULL));
    assert_null (webhook_event_json ("\xc1", 1, NULL));
    msgpack_sbuffer_destroy (&buf);
}

static void
test_webhook_signature_is_hmac_sha256 (void **state)
{
    (void) state;
    //  RFC 4231, test case 2.
    const char *data = "what do ya want for nothing?";
    char *sig = webhook_signature ("Jefe", data, strlen (data));
    assert_string_equal (sig, "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    free (sig);
}

static void
test_webhook_topics_are_prefixes (void **state)
{
    (void) state;
    char *topics[] = {"slo.", "ticket.created"};
    opd_webhook_t w = {"http://x", "s", topics, 2};
    assert_true (webhook_topic_matches (&w, "slo.breach"));
    assert_true (webhook_topic_matches (&w, "slo.warning"));
    assert_true (webhook_topic_matches (&w, "ticket.created"));
    assert_false (webhook_topic_matches (&w, "ticket.routed"));
    opd_webhook_t all = {"http://x", "s", NULL, 0};
    assert_true (webhook_topic_matches (&all, "coverage.gap"));
}

//  Kind signin (no ticket): the link, the footer at the end, no ticket
//  header; a bad address or no link is not mailed.
static void
test_mail_signin_link_has_footer (void **state)
{
    (void) state;
    mail_input_t in = {.kind = "signin", .job_id = 9, .to = "rita@example.com",
                       .link = "http://127.0.0.1:8080/login/link?t=abc", .link_expires_ms = 900000};
    mail_t m;
    const char *why = NULL;
    assert_int_equal (mail_compose (s_cfg, &in, &m, &why), 0);
    assert_string_equal (m.to, "rita@example.com");
    assert_non_null (strstr (m.data, "Subject: Your sign-in link\r\n"));
    assert_non_null (strstr (m.data, "\r\nhttp://127.0.0.1:8080/login/link?t=abc\r\n"));
    assert_null (strstr (m.data, "X-Opdesk-Ticket"));
    const char *sig = strstr (m.data, "\r\n-- \r\n");
    assert_non_null (sig);
    assert_string_equal (sig + 7,
                         "Service Desk, phone +44 20 7946 0000. Reply to this message to update "
                         "your request.\r\n");
    mail_clear (&m);
    in.to = "rita@example.com>\r\nBcc: x@evil.example";
    assert_int_equal (mail_compose (s_cfg, &in, &m, &why), -1);
    assert_string_equal (why, "no email");
    in.to = "rita@example.com";
    in.link = NULL;
    assert_int_equal (mail_compose (s_cfg, &in, &m, &why), -1);
    assert_string_equal (why, "no link");
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_mail_ack_has_tag_ids_and_footer),
        cmocka_unit_test (test_mail_signin_link_has_footer),
        cmocka_unit_test (test_mail_agent_gets_requester_reply_with_reply_token),
        cmocka_unit_test (test_mail_header_injection_is_neutralised),
        cmocka_unit_test (test_mail_non_ascii_subject_is_rfc2047),
        cmocka_unit_test (test_mail_ack_uses_standard_response),
        cmocka_unit_test (test_mail_ack_holds_a_response_without_a_value),
        cmocka_unit_test (test_mail_ack_states_targets_in_calendar_zone),
        cmocka_unit_test (test_mail_ack_states_targets_in_the_requesters_zone),
        cmocka_unit_test (test_mail_ack_lists_missing_fields),
        cmocka_unit_test (test_mail_skips_without_email_or_when_anonymised),
        cmocka_unit_test (test_mail_internal_comment_is_never_mailed),
        cmocka_unit_test (test_mail_public_comment_threads_and_names_agent),
        cmocka_unit_test (test_mail_ack_replies_to_the_requesters_message),
        cmocka_unit_test (test_mail_long_lines_go_quoted_printable),
        cmocka_unit_test (test_webhook_event_json_has_rfc3339_times),
        cmocka_unit_test (test_webhook_signature_is_hmac_sha256),
        cmocka_unit_test (test_webhook_topics_are_prefixes),
    };
    return cmocka_run_group_tests (tests, config_setup, config_teardown);
}
