/*  mail: see mail.h.

    A message is built as text with LF line ends and turned into CRLF at the
    end, in one place. The body goes out as 8bit when every line fits the
    998-octet limit of RFC 5322, else as quoted-printable. */
#include "mail.h"
#include "opd_reply_token.h"
#include "opd_req_tz.h"
#include "opd_stdresp.h"
#include "opd_template.h"
#include "opd_util.h"
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

//  A ticket field's text, NULL when absent or empty.
static const char *
s_nz (const char *v)
{
    return v && *v ? v : NULL;
}

//  Body text made safe to send: valid UTF-8, no control characters but tab
//  and line ends, LF line ends.
static void
s_append_body_text (GString *out, const char *s)
{
    if (!s)
        return;
    char *valid = g_utf8_make_valid (s, -1);
    for (const char *p = valid; *p; p++) {
        unsigned char c = (unsigned char) *p;
        if (c == '\r') {
            if (p[1] != '\n')
                g_string_append_c (out, '\n');
            continue;
        }
        if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7F)
            continue;
        g_string_append_c (out, (char) c);
    }
    g_free (valid);
}

//  Ends the text with exactly one line end.
static void
s_end_line (GString *out)
{
    while (out->len && (out->str[out->len - 1] == '\n' || out->str[out->len - 1] == ' '))
        g_string_truncate (out, out->len - 1);
    g_string_append_c (out, '\n');
}

//  Only characters that are safe in a Message-ID's parts.
static void
s_append_idpart (GString *out, const char *s, const char *fallback)
{
    size_t before = out->len;
    for (const char *p = s ? s : ""; *p; p++)
        if (g_ascii_isalnum (*p) || *p == '.' || *p == '-' || *p == '_')
            g_string_append_c (out, *p);
    if (out->len == before)
        g_string_append (out, fallback);
}

//  A clock that is still to be met: its due time, else 0.
static int64_t
s_open_due (const opd_ticket_t *ticket, opd_clock_t clock)
{
    opd_clock_state_t state = opd_clock_state_parse (s_nz (ticket->clock[clock].state));
    if (state == OPD_CLOCK_MET || state == OPD_CLOCK_BREACHED || state == OPD_CLOCK_PAUSED)
        return 0;
    const char *due = s_nz (ticket->clock[clock].due);
    return due ? strtoll (due, NULL, 10) : 0;
}

//  The zone of every time in a mail to the requester: the requester's
//  choice, else the ticket's policy calendar's, else UTC (opd_req_tz.h).
static const char *
s_zone (const opd_config_t *cfg, const mail_input_t *in)
{
    const char *policy = in->ticket ? s_nz (in->ticket->slo_policy) : NULL;
    return opd_req_tz_pick (cfg, in->zone, policy);
}

//  "We aim to respond by ... and to resolve it by ...", in the requester's
//  time zone.
static void
s_append_targets (GString *body, const opd_config_t *cfg, const mail_input_t *in)
{
    const opd_ticket_t *ticket = in->ticket;
    int64_t fr = s_open_due (ticket, OPD_CLOCK_FR), res = s_open_due (ticket, OPD_CLOCK_RES);
    if (!fr && !res)
        return;
    const char *tz = s_zone (cfg, in);
    char a[96], b[96];
    if (fr)
        mail_when (fr, tz, a, sizeof a);
    if (res)
        mail_when (res, tz, b, sizeof b);
    if (fr && res)
        g_string_append_printf (body, "We aim to respond by %s and to resolve it by %s.\n\n", a, b);
    else if (fr)
        g_string_append_printf (body, "We aim to respond by %s.\n\n", a);
    else
        g_string_append_printf (body, "We aim to resolve it by %s.\n\n", b);
}

//  The required fields the request still lacks, by their labels (never
//  the internal name or a pattern), and the two ways to give them: the
//  link to the portal's form (in->link, when the notifier made one), or a
//  reply with "Label: value" lines.
static void
s_append_missing (GString *body, const opd_config_t *cfg, const mail_input_t *in)
{
    const opd_ticket_t *ticket = in->ticket;
    const char *missing = s_nz (ticket->missing);
    if (!missing)
        return;
    json_t *arr = json_loads (missing, 0, NULL);
    if (!json_is_array (arr) || json_array_size (arr) == 0) {
        json_decref (arr);
        return;
    }
    const opd_reqtype_t *rt = opd_config_reqtype (cfg, s_nz (ticket->request_type) ? s_nz (ticket->request_type) : "");
    g_string_append (body, "Some details we need to handle your request are missing:\n");
    size_t i;
    json_t *v;
    json_array_foreach (arr, i, v) {
        if (!json_is_string (v))
            continue;
        const char *name = json_string_value (v);
        const char *label = name;
        for (size_t j = 0; rt && j < rt->nfields; j++)
            if (!strcmp (rt->fields[j].name, name) && rt->fields[j].label)
                label = rt->fields[j].label;
        char *clean = mail_header_clean (label);
        g_string_append_printf (body, "  - %s\n", clean);
        free (clean);
    }
    g_string_append_c (body, '\n');
    if (in->link) {
        char until[80];
        mail_when (in->link_expires_ms, s_zone (cfg, in), until, sizeof until);
        g_string_append_printf (body, "You can give them on this form (the link works until %s):\n\n%s\n\n"
                                      "Or reply to this message with one line for each, such as:\n",
                                until, in->link);
    }
    else
        g_string_append (body, "Please reply to this message with one line for each, such as:\n");
    const char *first = json_string_value (json_array_get (arr, 0));
    const opd_field_t *f = NULL;
    for (size_t j = 0; rt && first && j < rt->nfields && !f; j++)
        f = !strcmp (rt->fields[j].name, first) ? &rt->fields[j] : NULL;
    char *clean = mail_header_clean (f && f->label ? f->label : first ? first : "");
    g_string_append_printf (body, "  %s: ...\n\n", clean);
    free (clean);
    json_decref (arr);
}

//  The ticket's standard response rendered, or NULL: when it cannot be
//  rendered (a variable without a value) it is held, out says which and
//  why, and the plain acknowledgement goes instead (docs/decisions.md 66).
static char *
s_ack_response (const opd_config_t *cfg, const mail_input_t *in, mail_t *out)
{
    const opd_ticket_t *ticket = in->ticket;
    const char *srid = s_nz (ticket->stdresp);
    const opd_stdresp_t *sr = srid ? opd_config_stdresp (cfg, srid) : NULL;
    char *text = NULL;
    opd_template_error_t err;
    if (sr && opd_stdresp_render_in (cfg, sr, ticket, s_zone (cfg, in), &text, &err)) {
        out->held_response = opd_strdup (sr->id);
        out->held_variable = opd_strdup (err.name);
    }
    return text;
}

//  The acknowledgement; the Subject is the ticket's own (decision 65).
static void
s_compose_ack (const opd_config_t *cfg, const mail_input_t *in, const char *id, const char *subject,
               GString *body, mail_t *out)
{
    const opd_ticket_t *ticket = in->ticket;
    char *clean_name = mail_header_clean (s_nz (ticket->req_name));
    if (*clean_name)
        g_string_append_printf (body, "Hello %s,\n\n", clean_name);
    else
        g_string_append (body, "Hello,\n\n");
    free (clean_name);
    char *response = s_ack_response (cfg, in, out);
    if (response) {
        g_string_append_printf (body, "We have received your request \"%s\" (reference %s).\n\n",
                                subject, id);
        s_append_body_text (body, response);
        s_end_line (body);
        g_string_append_c (body, '\n');
        free (response);
    }
    else
        g_string_append_printf (body,
                                "We have received your request \"%s\" and logged it with "
                                "reference %s.\n\n",
                                subject, id);
    s_append_targets (body, cfg, in);
    s_append_missing (body, cfg, in);
    g_string_append_printf (body, "Please keep [%s] in the subject when you reply.\n", id);
}

//  Every message that reaches a requester passes here, last: the
//  signature separator and the configured footer, appended once whatever
//  the body holds (a body that quotes or imitates the footer still gets the
//  real one at the end).
static void
s_append_footer (GString *body, const opd_config_t *cfg)
{
    s_end_line (body);
    g_string_append (body, "\n-- \n");
    if (cfg->footer)
        s_append_body_text (body, cfg->footer);
    s_end_line (body);
}

//  The one-question satisfaction rating under a resolution note: a link
//  for each answer, to a page where the requester confirms it (and may add
//  a comment); opening a link records nothing.
static void
s_append_rating (GString *body, const mail_input_t *in)
{
    const char *good = json_string_value (json_object_get (in->job, "rating_good"));
    const char *bad = json_string_value (json_object_get (in->job, "rating_bad"));
    if (!good || !bad)
        return;
    char until[64];
    mail_when (in->link_expires_ms, NULL, until, sizeof until);
    s_end_line (body);
    g_string_append_printf (body,
                            "\nHow did we do? One click tells us (you can add a comment on the page):\n\n"
                            "Good: %s\n\nBad: %s\n\n(The links work until %s.)\n",
                            good, bad, until);
}

//  Returns NULL, or why the comment is not to be mailed.
//  The comment's body is sent as stored: a standard response named on it
//  was rendered into it when the agent sent it (opd_stdresp_comment_text).
static const char *
s_compose_comment (const opd_config_t *cfg, const char *comment_json, const char *id,
                   const char *subject, GString *subj, GString *body, char **author_name)
{
    json_t *c = comment_json ? json_loads (comment_json, 0, NULL) : NULL;
    if (!json_is_object (c)) {
        json_decref (c);
        return "no comment";
    }
    const char *why = NULL;
    json_t *pub = json_object_get (c, "public");
    const char *role = json_string_value (json_object_get (c, "role"));
    if (!json_is_true (pub) && !(json_is_integer (pub) && json_integer_value (pub) == 1))
        why = "internal comment";
    else if (!role || strcmp (role, "agent"))
        why = "not an agent comment";
    if (why) {
        json_decref (c);
        return why;
    }
    const char *author = json_string_value (json_object_get (c, "author"));
    const opd_agent_t *agent = author ? opd_config_agent (cfg, author) : NULL;
    *author_name = opd_strdup (agent && agent->name ? agent->name : author && !strchr (author, '@') ? author : "");
    bool resolution = json_is_true (json_object_get (c, "resolution"));
    g_string_append_printf (subj, "%s [%s] %s", resolution ? "Resolved:" : "Re:", id, subject);
    if (resolution)
        g_string_append_printf (body, "Your request %s has been resolved:\n\n", id);
    s_append_body_text (body, json_string_value (json_object_get (c, "body")));
    if (resolution) {
        s_end_line (body);
        g_string_append (body, "\nIf this does not solve it, reply to this message and the request reopens.\n");
    }
    s_end_line (body);
    json_decref (c);
    return NULL;
}

//  LF to CRLF (the text holds no CR by now).
static char *
s_crlf (const char *s, size_t *max_line)
{
    GString *out = g_string_new (NULL);
    size_t line = 0;
    *max_line = 0;
    for (const char *p = s; *p; p++) {
        if (*p == '\n') {
            g_string_append (out, "\r\n");
            line = 0;
            continue;
        }
        g_string_append_c (out, *p);
        if (++line > *max_line)
            *max_line = line;
    }
    char *r = opd_strdup (out->str);
    g_string_free (out, TRUE);
    return r;
}

//  Message-ID: <opdesk.OPD-42.17@example.org>, the same for every attempt
//  of a job; the mail path knows it as the desk's own (loops, threading).
static GString *
s_message_id (const opd_config_t *cfg, const char *id, long long job_id)
{
    const char *at = strrchr (cfg->smtp_from, '@');
    GString *msgid = g_string_new ("<opdesk.");
    s_append_idpart (msgid, id, "ticket");
    g_string_append_printf (msgid, ".%lld@", job_id);
    s_append_idpart (msgid, at ? at + 1 : NULL, "localhost");
    g_string_append_c (msgid, '>');
    return msgid;
}

//  The MIME headers and the text body (LF line ends) as 8bit when every
//  line fits, else quoted-printable; m holds the other headers, each ended.
static void
s_append_mime_body (GString *m, const char *body)
{
    size_t max_line = 0;
    char *text = s_crlf (body, &max_line);
    bool eightbit = max_line <= 998;
    g_string_append_printf (m,
                            "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
                            "Content-Transfer-Encoding: %s\r\n\r\n",
                            eightbit ? "8bit" : "quoted-printable");
    if (eightbit)
        g_string_append (m, text);
    else {
        char *qp = mail_qp_encode (text, strlen (text));
        g_string_append (m, qp);
        free (qp);
    }
    free (text);
}

//  A message to an agent (kinds "agent" and "notice"): the headers (a
//  Reply-To when reply is not NULL), Auto-Submitted, the ticket id, body.
//  Fills out.
static void
s_agent_message (const opd_config_t *cfg, const mail_input_t *in, const opd_agent_t *agent, const char *id,
                 const char *subject, const char *reply, const char *body, mail_t *out)
{
    char *subject_hdr = mail_header_text (subject);
    char *from = mail_mailbox (NULL, cfg->smtp_from);
    GString *msgid = s_message_id (cfg, id, in->job_id);
    char date[64];
    mail_date (in->now_ms, date, sizeof date);
    GString *m = g_string_new (NULL);
    g_string_append_printf (m, "Date: %s\r\nFrom: %s\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: %s\r\n", date, from,
                            agent->email, subject_hdr, msgid->str);
    if (reply)
        g_string_append_printf (m, "Reply-To: %s\r\n", reply);
    g_string_append (m, "Auto-Submitted: auto-generated\r\nX-Opdesk-Ticket: ");
    s_append_idpart (m, id, "unknown");
    g_string_append (m, "\r\n");
    s_append_mime_body (m, body);
    out->to = opd_strdup (agent->email);
    out->message_id = opd_strdup (msgid->str);
    out->size = m->len;
    out->data = g_string_free (m, FALSE);
    g_string_free (msgid, TRUE);
    free (from);
    free (subject_hdr);
}

//  Kind "agent": the requester's public comment, mailed to the assignee.
//  Its Reply-To is the agent's own reply address for this ticket
//  (opd_reply_address), so that an answer by mail is believed to be the
//  agent's; the address is personal and goes to no one else. Without a
//  configured secret there is no such address and no Reply-To.
static int
s_compose_agent (const opd_config_t *cfg, const mail_input_t *in, mail_t *out, const char **why)
{
    const char *assignee = s_nz (in->ticket->assignee);
    const opd_agent_t *agent = assignee ? opd_config_agent (cfg, assignee) : NULL;
    json_t *c = in->comment_json ? json_loads (in->comment_json, 0, NULL) : NULL;
    const char *role = json_string_value (json_object_get (c, "role"));
    if (!agent || !agent->email || !opd_email_valid (agent->email))
        *why = "no agent email";
    else if (!json_is_object (c) || !role || strcmp (role, "requester"))
        *why = "not a requester comment";
    if (*why) {
        json_decref (c);
        return -1;
    }
    const char *raw_id = s_nz (in->ticket->id);
    char *id = mail_header_clean (raw_id);
    char *subject = mail_header_clean (s_nz (in->ticket->subject));
    char *reply = opd_reply_address (cfg, raw_id, agent->id);
    GString *body = g_string_new (NULL);
    g_string_append_printf (body, "The requester wrote on %s:\n\n", id);
    s_append_body_text (body, json_string_value (json_object_get (c, "body")));
    s_end_line (body);
    g_string_append (body, reply ? "\n-- \nReply to this message to answer the requester; the desk sends your answer.\n"
                                   "The reply address is yours for this ticket only: do not forward this message.\n"
                                 : "\n-- \nAnswer in the agent console or with opdesk comment.\n");
    GString *subj = g_string_new (NULL);
    g_string_printf (subj, "[%s] %s", id, *subject ? subject : "(no subject)");
    s_agent_message (cfg, in, agent, id, subj->str, reply, body->str, out);
    g_string_free (subj, TRUE);
    g_string_free (body, TRUE);
    free (reply);
    free (subject);
    free (id);
    json_decref (c);
    return 0;
}

//  Kind "signin": the single-use link to the portal a requester asked for
//  on /login. No ticket; the footer as on every mail to a requester.
static int
s_compose_signin (const opd_config_t *cfg, const mail_input_t *in, mail_t *out, const char **why)
{
    if (!in->to || !opd_email_valid (in->to) || !in->link) {
        *why = !in->link ? "no link" : "no email";
        return -1;
    }
    char until[80];
    mail_when (in->link_expires_ms, s_zone (cfg, in), until, sizeof until);
    GString *body = g_string_new ("Hello,\n\n");
    g_string_append_printf (body,
                            "Someone, probably you, asked to sign in to the service desk with this "
                            "address. To see your requests, open this link and press \"Sign in\":\n\n"
                            "%s\n\n"
                            "The link works once, until %s. If you did not ask for it, ignore this "
                            "message: nobody can sign in without the link.\n",
                            in->link, until);
    s_append_footer (body, cfg);
    GString *msgid = s_message_id (cfg, "signin", in->job_id);
    char date[64];
    mail_date (in->now_ms, date, sizeof date);
    char *from = mail_mailbox (NULL, cfg->smtp_from);
    GString *m = g_string_new (NULL);
    g_string_append_printf (m,
                            "Date: %s\r\nFrom: %s\r\nTo: %s\r\nSubject: Your sign-in link\r\n"
                            "Message-ID: %s\r\nAuto-Submitted: auto-generated\r\n",
                            date, from, in->to, msgid->str);
    s_append_mime_body (m, body->str);
    out->to = opd_strdup (in->to);
    out->message_id = opd_strdup (msgid->str);
    out->size = m->len;
    out->data = g_string_free (m, FALSE);
    g_string_free (msgid, TRUE);
    g_string_free (body, TRUE);
    free (from);
    return 0;
}

//  Kind "notice": what happened to a ticket, in a few words, to the agent
//  it concerns (notices.c), with the link to it in the console. Only ids,
//  the team, the priority and times: never the subject, the requester or
//  their text, which a mailbox would keep beyond the desk's retention
//  (docs/decisions.md 105).
static void
s_notice_text (const opd_config_t *cfg, const opd_agent_t *agent, json_t *job, const char *id, GString *subj,
               GString *body)
{
    const char *notice = json_string_value (json_object_get (job, "notice"));
    const char *team_id = json_string_value (json_object_get (job, "team"));
    const opd_team_t *team = team_id ? opd_config_team (cfg, team_id) : NULL;
    const char *tname = team && team->name ? team->name : team_id ? team_id : "your team";
    const char *by = json_string_value (json_object_get (job, "by"));
    const char *slo = json_string_value (json_object_get (job, "slo"));
    const char *clock = !slo ? "A clock" : !strcmp (slo, "first_response") ? "First response"
                                     : !strcmp (slo, "next_reply")       ? "Next reply"
                                                                         : "Resolution";
    notice = notice ? notice : "";
    if (!strcmp (notice, "assigned")) {
        g_string_printf (subj, "[%s] Assigned to you", id);
        g_string_printf (body, "%s was assigned to you%s%s.\n", id, by ? " by " : "", by ? by : "");
    }
    else if (!strcmp (notice, "handoff")) {
        g_string_printf (subj, "[%s] Handed off to %s", id, tname);
        g_string_printf (body, "%s was handed off to your team %s%s%s.\n", id, tname, by ? " by " : "",
                         by ? by : "");
    }
    else if (!strcmp (notice, "p1")) {
        g_string_printf (subj, "[%s] P1 in %s", id, tname);
        g_string_printf (body, "%s is a P1 ticket in your team %s.\n", id, tname);
    }
    else {
        GDateTime *due = g_date_time_new_from_iso8601 (json_string_value (json_object_get (job, "due_at")), NULL);
        char when[80] = "soon";
        if (due)
            mail_when (g_date_time_to_unix (due) * 1000, agent->timezone, when, sizeof when);
        g_string_printf (subj, "[%s] %s about to breach", id, clock);
        g_string_printf (body, "%s of %s is about to breach: it is due %s%s.\n", clock, id, due ? "by " : "", when);
        if (due)
            g_date_time_unref (due);
    }
}

static int
s_compose_notice (const opd_config_t *cfg, const mail_input_t *in, mail_t *out, const char **why)
{
    const char *agent_id = json_string_value (json_object_get (in->job, "agent"));
    const opd_agent_t *agent = agent_id ? opd_config_agent (cfg, agent_id) : NULL;
    if (!agent || !agent->email || !opd_email_valid (agent->email)) {
        *why = "no agent email";
        return -1;
    }
    char *id = mail_header_clean (s_nz (in->ticket->id));
    GString *subj = g_string_new (NULL), *body = g_string_new (NULL);
    s_notice_text (cfg, agent, in->job, id, subj, body);
    const char *prio = json_string_value (json_object_get (in->job, "priority"));
    if (prio)
        g_string_append_printf (body, "Priority: %s\n", prio);
    const char *base = cfg->web_public_url ? cfg->web_public_url : "";
    size_t n = strlen (base);
    n = n && base[n - 1] == '/' ? n - 1 : n;
    g_string_append_printf (body, "\nOpen it in the agent console: %.*s/agent/tickets/%s\n\n"
                                  "You get this mail because mail is on for this kind of notification in "
                                  "your settings: %.*s/agent/settings\n",
                            (int) n, base, id, (int) n, base);
    s_append_footer (body, cfg);
    s_agent_message (cfg, in, agent, id, subj->str, NULL, body->str, out);
    g_string_free (subj, TRUE);
    g_string_free (body, TRUE);
    free (id);
    return 0;
}

int
mail_compose (const opd_config_t *cfg, const mail_input_t *in, mail_t *out, const char **why)
{
    memset (out, 0, sizeof *out);
    *why = NULL;
    if (in->kind && !strcmp (in->kind, "signin"))
        return s_compose_signin (cfg, in, out, why);
    const opd_ticket_t *t = in->ticket;
    const char *anonymised = s_nz (t->anonymised);
    if (anonymised && !strcmp (anonymised, "1")) {
        *why = "anonymised";
        return -1;
    }
    if (in->kind && !strcmp (in->kind, "agent"))
        return s_compose_agent (cfg, in, out, why);
    if (in->kind && !strcmp (in->kind, "notice"))
        return s_compose_notice (cfg, in, out, why);
    const char *email = s_nz (t->req_email);
    if (!email || !opd_email_valid (email)) {
        *why = "no email";
        return -1;
    }
    bool ack = in->kind && !strcmp (in->kind, "ack");
    bool comment = in->kind && !strcmp (in->kind, "comment");
    if (!ack && !comment) {
        *why = "unknown kind";
        return -1;
    }
    char *id = mail_header_clean (s_nz (t->id));
    char *subject = mail_header_clean (s_nz (t->subject));
    if (!*subject) {
        free (subject);
        subject = opd_strdup ("(no subject)");
    }
    GString *subj = g_string_new (NULL);
    GString *body = g_string_new (NULL);
    char *author = NULL;
    if (ack) {
        g_string_append_printf (subj, "[%s] %s", id, subject);
        s_compose_ack (cfg, in, id, subject, body, out);
    }
    else
        *why = s_compose_comment (cfg, in->comment_json, id, subject, subj, body, &author);
    if (*why) {
        free (id);
        free (subject);
        g_string_free (subj, TRUE);
        g_string_free (body, TRUE);
        mail_clear (out);
        return -1;
    }
    if (comment)
        s_append_rating (body, in);
    s_append_footer (body, cfg);

    GString *msgid = s_message_id (cfg, id, in->job_id);

    //  Threading: the requester's own Message-ID (mail channel), and the
    //  first message the desk sent on this ticket.
    const char *channel = s_nz (t->channel);
    char *ext = channel && !strcmp (channel, "email")
                    ? mail_msgid_from_external (s_nz (t->external_id))
                    : NULL;
    char *thread = mail_msgid_from_external (s_nz (t->mail_thread));
    if (thread && !strcmp (thread, msgid->str)) {
        free (thread);
        thread = NULL;
    }
    if (ext && thread && !strcmp (ext, thread)) {
        free (thread);
        thread = NULL;
    }
    const char *reply_to = ack ? (ext ? ext : thread) : (thread ? thread : ext);

    GString *m = g_string_new (NULL);
    char date[64];
    mail_date (in->now_ms, date, sizeof date);
    char *from = mail_mailbox (author, cfg->smtp_from);
    char *subject_hdr = mail_header_text (subj->str);
    g_string_append_printf (m, "Date: %s\r\nFrom: %s\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: %s\r\n",
                            date, from, email, subject_hdr, msgid->str);
    if (reply_to) {
        g_string_append_printf (m, "In-Reply-To: %s\r\nReferences:", reply_to);
        if (ext)
            g_string_append_printf (m, " %s", ext);
        if (thread)
            g_string_append_printf (m, " %s", thread);
        g_string_append (m, "\r\n");
    }
    if (ack)
        g_string_append (m, "Auto-Submitted: auto-replied\r\n");
    g_string_append (m, "X-Opdesk-Ticket: ");
    s_append_idpart (m, id, "unknown");
    g_string_append (m, "\r\n");
    s_append_mime_body (m, body->str);
    out->to = opd_strdup (email);
    out->message_id = opd_strdup (msgid->str);
    out->size = m->len;
    out->data = g_string_free (m, FALSE);
    free (from);
    free (subject_hdr);
    free (ext);
    free (thread);
    free (author);
    free (id);
    free (subject);
    g_string_free (msgid, TRUE);
    g_string_free (subj, TRUE);
    g_string_free (body, TRUE);
    return 0;
}

void
mail_clear (mail_t *m)
{
    free (m->to);
    free (m->message_id);
    free (m->held_response);
    free (m->held_variable);
    g_free (m->data);
    memset (m, 0, sizeof *m);
}
