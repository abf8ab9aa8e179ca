/*  fuzz_mime: libFuzzer harness for what the mail path does with a raw
    message before it talks to intake or Redis (services/email/opd_mail.c
    and opd_mail_trust.c, with proto/src/opd_reply_token.c).

    Each input is one raw RFC 5322 message, given to
      - opd_mail_parse: headers (RFC 2047, raw 8-bit), the MIME walk, charset
        conversion, HTML to text, quote trimming for replies, bounce and
        auto-reply markers, attachments (names, SHA-256), recipients and
        Authentication-Results;
      - what opd_mailer_prepare then reads: the subject's base and ticket
        tag, the desk's own Message-IDs among the references;
      - opd_mail_trusted_agent with a fixed configuration (tokens and DMARC
        both trusted), against a tag's ticket or a fixed one;
      - opd_mail_reqtype: the request type a first mail names and the
        fields of its "Label: value" lines, each checked as intake would;
      - opd_mail_html_to_text and opd_mail_trim_quotes on the raw bytes as
        text too, since real mail hands them anything.
    Every text the parser returns must be valid UTF-8 without NUL: that is
    checked, and a violation aborts (a finding). Built by fuzz/run.sh; the
    parser is kept apart from the delivery half (opd_mailer.c) so that this
    links no Redis and no ZeroMQ. */
#include "fuzz_config_load.h"
#include "opd_config.h"
#include "opd_field.h"
#include "opd_mail.h"
#include "opd_mail_reqtype.h"
#include "opd_mail_trust.h"
#include "opd_util.h"
#include <glib.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *s_config_text =
    "ticket_prefix: OPD\n"
    "agents:\n"
    "  - {id: alice, email: alice@example.org}\n"
    "  - {id: bob, email: bob@example.com}\n"
    "notifications: {smtp: {url: \"smtp://127.0.0.1:2525\", from: servicedesk@example.org}}\n"
    "channels:\n"
    "  email:\n"
    "    addresses: [servicedesk@example.org]\n"
    "    agent_mail: {trust: token_or_dmarc, authserv_id: mx.example.org, secret: fuzz-secret-0123456789}\n"
    "request_types:\n"
    "  - id: new-laptop\n"
    "    name: New laptop\n"
    "    fields:\n"
    "      - {name: cost_centre, label: Cost centre, type: string, required: true, pattern: \"^[0-9]{6}$\"}\n"
    "      - {name: model, label: Model, type: enum, values: [standard, developer], required: true}\n"
    "      - {name: seats, label: Seats, type: integer}\n"
    "      - {name: urgent, label: Urgent, type: boolean}\n"
    "      - {name: needed_by, label: Needed by, type: date}\n"
    "      - {name: manager, label: Manager, type: email}\n"
    "      - {name: note, label: Note, type: string, max_length: 20}\n";

FUZZ_CONFIG_HARNESS ("fuzz_mime", s_config_text)

//  A broken promise: says which, then aborts (a finding).
static void
s_broken (const char *what)
{
    fprintf (stderr, "fuzz_mime: broken: %s\n", what);
    abort ();
}

//  The parser's promise: every text is valid UTF-8 without NUL.
static void
s_check_text (const char *s, const char *what)
{
    if (s && !g_utf8_validate (s, -1, NULL))
        s_broken (what);
}

static void
s_check_mail (const opd_mail_t *m)
{
    if (!m->subject || !m->body || !m->external_id || !m->from_email)
        s_broken ("a text that is always there is missing");
    const char *texts[] = {m->message_id, m->external_id, m->from_name, m->from_email, m->subject, m->body,
                           m->dsn_original};
    const char *names[] = {"message_id", "external_id", "from_name", "from_email", "subject", "body",
                           "dsn_original"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        s_check_text (texts[i], names[i]);
    for (size_t i = 0; i < m->ncc; i++)
        s_check_text (m->cc[i], "cc");
    for (size_t i = 0; i < m->nrefs; i++)
        s_check_text (m->refs[i], "refs");
    for (size_t i = 0; i < m->nrcpt; i++)
        s_check_text (m->rcpt[i], "rcpt");
    for (size_t i = 0; i < m->nauth_results; i++)
        s_check_text (m->auth_results[i], "auth_results");
    for (size_t i = 0; i < m->natt; i++) {
        const opd_mail_attachment_t *a = &m->att[i];
        s_check_text (a->name, "attachment name");
        s_check_text (a->content_type, "attachment content_type");
        if (strlen (a->sha256) != 64 || (a->size && !a->data))
            s_broken ("attachment sha256 or data");
    }
}

//  What opd_mailer_prepare reads from a parsed mail, and the trust decision.
static void
s_classify (const opd_mail_t *m)
{
    char tag[64] = "";
    const char *base = opd_mail_subject_base (m->subject);
    if (!opd_mail_subject_tag (base, s_cfg->ticket_prefix, tag, sizeof tag))
        opd_mail_subject_tag (m->subject, s_cfg->ticket_prefix, tag, sizeof tag);
    char id[64];
    for (size_t i = 0; i < m->nrefs; i++)
        if (opd_mail_msgid_ticket (m->refs[i], s_cfg->ticket_prefix, id, sizeof id) && !*tag)
            snprintf (tag, sizeof tag, "%s", id);
    opd_mail_msgid_ticket (m->dsn_original, s_cfg->ticket_prefix, id, sizeof id);
    opd_mail_claim_t claim = {m->from_email, m->rcpt, m->nrcpt, m->auth_results, m->nauth_results};
    const char *how = NULL;
    opd_mail_trusted_agent (s_cfg, &claim, *tag ? tag : "OPD-1", &how);
    if (!how)
        s_broken ("no trust decision");
}

//  The request type a first mail names, and the fields its "Label: value"
//  lines give: every value found passes the field's own check.
static void
s_reqtype (const opd_mail_t *m)
{
    const opd_reqtype_t *rt = opd_mail_reqtype (s_cfg, m);
    if (!rt)
        return;
    json_t *fields = opd_mail_reqtype_fields (rt, m);
    if (!json_is_object (fields))
        s_broken ("request type fields not an object");
    const char *name;
    json_t *value;
    json_object_foreach (fields, name, value) {
        char err[512];
        if (opd_field_check (rt, name, value, err, sizeof err))
            s_broken ("a field value found that its own check refuses");
    }
    json_decref (fields);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    opd_mail_t *m = NULL;
    if (opd_mail_parse ((const char *) data, size, &m) == 0) {
        s_check_mail (m);
        s_classify (m);
        s_reqtype (m);
        opd_mail_destroy (&m);
    }
    else if (m)
        s_broken ("a refused mail with a result");
    //  The text helpers on the raw bytes (as a C string: up to a NUL).
    char *text = opd_strndup ((const char *) data, size);
    char *plain = opd_mail_html_to_text (text, strlen (text));
    s_check_text (plain, "html_to_text");
    char *trimmed = opd_mail_trim_quotes (text);
    free (plain);
    free (trimmed);
    free (text);
    return 0;
}
