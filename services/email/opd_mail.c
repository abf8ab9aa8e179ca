/*  opd_mail: see opd_mail.h.

    Parsing walks the MIME tree once. multipart/alternative contributes one
    branch (the one holding text/plain, else the richest); other multiparts
    contribute every inline text part in order; everything that is not inline
    text is an attachment. Each text is decoded from its transfer encoding
    and converted from its declared charset to UTF-8 here (not by
    g_mime_text_part_get_text) so that the common lies of real mail are
    survived: ISO-8859-1 that is really Windows-1252, undeclared 8-bit text,
    charsets iconv does not know.

    This file is the parser; the text it makes is cleaned by
    opd_mail_text.c and its headers read by opd_mail_headers.c (see
    opd_mail_int.h). The delivery half of opd_mail.h (opd_mailer_*) is in
    opd_mailer.c. */
#include "opd_mail_int.h"

#define MAX_ATTACHMENTS 100
#define MAX_DEPTH 32

//  --- The parser ----------------------------------------------------------

typedef struct {
    opd_mail_t *m;
    GString *text;       //  the body text so far
    GPtrArray *atts;     //  opd_mail_attachment_t *
    int html_parts, plain_parts;
} walk_t;

static void
s_gmime_init (void)
{
    static gsize once = 0;
    if (g_once_init_enter (&once)) {
        g_mime_init ();
        g_once_init_leave (&once, 1);
    }
}

//  The decoded bytes of a leaf part (transfer encoding undone).
static GByteArray *
s_part_bytes (GMimePart *part)
{
    GMimeDataWrapper *content = g_mime_part_get_content (part);
    GByteArray *bytes = g_byte_array_new ();
    if (!content)
        return bytes;
    GMimeStream *stream = g_mime_stream_mem_new_with_byte_array (bytes);
    g_mime_stream_mem_set_owner (GMIME_STREAM_MEM (stream), FALSE);
    g_mime_data_wrapper_write_to_stream (content, stream);
    g_object_unref (stream);
    return bytes;
}

static void
s_add_attachment (walk_t *w, const char *name, const char *type, const unsigned char *data,
                  size_t len)
{
    if (w->atts->len >= MAX_ATTACHMENTS)
        return;
    opd_mail_attachment_t *a = opd_calloc (1, sizeof *a);
    if (name && *name)
        a->name = opd_mail_clean_utf8 (name, -1);
    else
        a->name = opd_sprintf ("attachment-%u", w->atts->len + 1);
    //  Names are shown and used as file names: no paths, no control characters.
    for (char *p = a->name; *p; p++)
        if ((unsigned char) *p < 0x20 || *p == '/' || *p == '\\')
            *p = '_';
    if (g_utf8_strlen (a->name, -1) > 200) {
        char *end = g_utf8_offset_to_pointer (a->name, 200);
        *end = 0;
    }
    a->content_type = opd_strdup (type ? type : "application/octet-stream");
    a->size = len;
    char *hex = g_compute_checksum_for_data (G_CHECKSUM_SHA256, data, len);
    snprintf (a->sha256, sizeof a->sha256, "%s", hex);
    g_free (hex);
    //  Never NULL, even for an empty part: an empty attachment is stored too.
    a->data = len ? g_memdup2 (data, len) : g_malloc0 (1);
    g_ptr_array_add (w->atts, a);
}

static char *
s_mime_type (GMimeObject *obj)
{
    GMimeContentType *ct = g_mime_object_get_content_type (obj);
    if (!ct)
        return opd_strdup ("application/octet-stream");
    //  GMime stops a type at the first 8-bit byte; cleaned all the same, as
    //  every text the parser returns.
    char *t = g_mime_content_type_get_mime_type (ct);
    char *clean = opd_mail_clean_utf8 (t, -1);
    g_free (t);
    char *v = opd_mail_lower (clean);
    free (clean);
    return v;
}

static void
s_append_text (walk_t *w, const char *text)
{
    if (!text || !*text)
        return;
    if (w->text->len) {
        while (w->text->len && w->text->str[w->text->len - 1] == '\n')
            g_string_truncate (w->text, w->text->len - 1);
        g_string_append (w->text, "\n\n");
    }
    g_string_append (w->text, text);
}

//  The text of a text/plain or text/html part, as UTF-8 with LF line ends.
static char *
s_part_text (GMimePart *part, bool html)
{
    GByteArray *bytes = s_part_bytes (part);
    const char *charset = g_mime_object_get_content_type_parameter (GMIME_OBJECT (part), "charset");
    char *text = opd_mail_to_utf8 ((const char *) bytes->data, bytes->len, charset);
    g_byte_array_unref (bytes);
    opd_mail_unix_lines (text);
    if (html) {
        char *plain = opd_mail_html_to_text (text, strlen (text));
        free (text);
        return plain;
    }
    return text;
}

//  True when obj holds an inline text/plain part (not inside attached messages).
static bool
s_has_plain (GMimeObject *obj, int depth)
{
    if (depth > MAX_DEPTH)
        return false;
    if (GMIME_IS_MULTIPART (obj)) {
        GMimeMultipart *mp = GMIME_MULTIPART (obj);
        for (int i = 0; i < g_mime_multipart_get_count (mp); i++)
            if (s_has_plain (g_mime_multipart_get_part (mp, i), depth + 1))
                return true;
        return false;
    }
    if (GMIME_IS_PART (obj) && !g_mime_part_is_attachment (GMIME_PART (obj))) {
        GMimeContentType *ct = g_mime_object_get_content_type (obj);
        return ct && g_mime_content_type_is_type (ct, "text", "plain");
    }
    return false;
}

//  The Message-ID named in header text (a text/rfc822-headers part, or the
//  headers of a returned message written out as text).
static char *
s_msgid_in_text (const char *text)
{
    const char *p = text;
    while ((p = strcasestr (p, "message-id:"))) {
        if (p != text && p[-1] != '\n') {
            p++;
            continue;
        }
        const char *lt = p + 11;
        while (*lt == ' ' || *lt == '\t' || *lt == '\n')
            lt++;
        if (*lt == '<') {
            const char *gt = strchr (lt, '>');
            if (gt && gt - lt > 1 && gt - lt < 250) {
                char *id = opd_strndup (lt + 1, (size_t) (gt - lt - 1));
                if (!strpbrk (id, " \t\n<"))
                    return id;
                free (id);
            }
        }
        p++;
    }
    return NULL;
}

static void s_walk (walk_t *w, GMimeObject *obj, int depth);

//  multipart/report: the human-readable part is the text, the machine part
//  (message/delivery-status) is appended, the returned message or headers
//  tell which message bounced.
static void
s_walk_report (walk_t *w, GMimeMultipart *mp, int depth)
{
    for (int i = 0; i < g_mime_multipart_get_count (mp); i++) {
        GMimeObject *child = g_mime_multipart_get_part (mp, i);
        char *type = s_mime_type (child);
        if (GMIME_IS_MESSAGE_PART (child)) {
            GMimeMessage *orig = g_mime_message_part_get_message (GMIME_MESSAGE_PART (child));
            const char *id = orig ? g_mime_message_get_message_id (orig) : NULL;
            if (id && !w->m->dsn_original)
                w->m->dsn_original = opd_mail_clean_utf8 (id, -1);
        }
        else if (GMIME_IS_PART (child)
                 && (!strcmp (type, "text/rfc822-headers") || !strcmp (type, "message/delivery-status")
                     || !strcmp (type, "message/global-delivery-status")
                     || !strcmp (type, "message/global-headers"))) {
            GByteArray *bytes = s_part_bytes (GMIME_PART (child));
            char *text = opd_mail_to_utf8 ((const char *) bytes->data, bytes->len, NULL);
            g_byte_array_unref (bytes);
            opd_mail_unix_lines (text);
            if (strstr (type, "delivery-status"))
                s_append_text (w, text);
            else if (!w->m->dsn_original)
                w->m->dsn_original = s_msgid_in_text (text);
            free (text);
        }
        else
            s_walk (w, child, depth + 1);
        free (type);
    }
}

static void
s_walk (walk_t *w, GMimeObject *obj, int depth)
{
    if (depth > MAX_DEPTH)
        return;
    if (GMIME_IS_MULTIPART (obj)) {
        GMimeMultipart *mp = GMIME_MULTIPART (obj);
        GMimeContentType *ct = g_mime_object_get_content_type (obj);
        const char *sub = ct ? g_mime_content_type_get_media_subtype (ct) : "mixed";
        int count = g_mime_multipart_get_count (mp);
        if (sub && !g_ascii_strcasecmp (sub, "alternative") && count > 0) {
            GMimeObject *best = NULL;
            for (int i = 0; i < count && !best; i++)
                if (s_has_plain (g_mime_multipart_get_part (mp, i), depth + 1))
                    best = g_mime_multipart_get_part (mp, i);
            if (!best)
                best = g_mime_multipart_get_part (mp, count - 1);
            s_walk (w, best, depth + 1);
            return;
        }
        if (sub && !g_ascii_strcasecmp (sub, "report")) {
            const char *rt = g_mime_content_type_get_parameter (ct, "report-type");
            if (rt && (!g_ascii_strcasecmp (rt, "delivery-status")
                       || !g_ascii_strcasecmp (rt, "global-delivery-status")))
                w->m->dsn = true;
            s_walk_report (w, mp, depth);
            return;
        }
        for (int i = 0; i < count; i++)
            s_walk (w, g_mime_multipart_get_part (mp, i), depth + 1);
        return;
    }
    if (GMIME_IS_MESSAGE_PART (obj)) {
        //  An attached message: kept whole as an attachment.
        GMimeMessage *inner = g_mime_message_part_get_message (GMIME_MESSAGE_PART (obj));
        GByteArray *bytes = g_byte_array_new ();
        if (inner) {
            GMimeStream *stream = g_mime_stream_mem_new_with_byte_array (bytes);
            g_mime_stream_mem_set_owner (GMIME_STREAM_MEM (stream), FALSE);
            g_mime_object_write_to_stream (GMIME_OBJECT (inner), NULL, stream);
            g_object_unref (stream);
        }
        const char *name = g_mime_object_get_content_disposition_parameter (obj, "filename");
        char *type = s_mime_type (obj);
        const char *subject = inner ? g_mime_message_get_subject (inner) : NULL;
        char *fallback = subject && *subject ? opd_sprintf ("%s.eml", subject) : opd_strdup ("message.eml");
        s_add_attachment (w, name ? name : fallback, type, bytes->data, bytes->len);
        free (fallback);
        free (type);
        g_byte_array_unref (bytes);
        return;
    }
    if (!GMIME_IS_PART (obj))
        return;
    GMimePart *part = GMIME_PART (obj);
    GMimeContentType *ct = g_mime_object_get_content_type (obj);
    bool attachment = g_mime_part_is_attachment (part);
    bool plain = ct && g_mime_content_type_is_type (ct, "text", "plain");
    bool html = ct && g_mime_content_type_is_type (ct, "text", "html");
    if (!attachment && (plain || html)) {
        char *text = s_part_text (part, html);
        s_append_text (w, text);
        free (text);
        if (html)
            w->html_parts++;
        else
            w->plain_parts++;
        return;
    }
    GByteArray *bytes = s_part_bytes (part);
    char *type = s_mime_type (obj);
    s_add_attachment (w, g_mime_part_get_filename (part), type, bytes->data, bytes->len);
    free (type);
    g_byte_array_unref (bytes);
}
int
opd_mail_parse (const char *data, size_t len, opd_mail_t **out)
{
    s_gmime_init ();
    //  The quote patterns are compiled when a reply first needs them
    //  (opd_mail_trim_quotes): a mail-gate run for a new request never does.
    *out = NULL;
    GMimeStream *stream = g_mime_stream_mem_new_with_buffer (data, len);
    GMimeParser *parser = g_mime_parser_new_with_stream (stream);
    GMimeParserOptions *opts = g_mime_parser_options_new ();
    const char *fallback[] = {"UTF-8", "WINDOWS-1252", NULL};
    g_mime_parser_options_set_fallback_charsets (opts, fallback);
    g_mime_parser_options_set_rfc2047_compliance_mode (opts, GMIME_RFC_COMPLIANCE_LOOSE);
    g_mime_parser_options_set_address_compliance_mode (opts, GMIME_RFC_COMPLIANCE_LOOSE);
    GMimeMessage *msg = g_mime_parser_construct_message (parser, opts);
    g_object_unref (parser);
    g_object_unref (stream);
    if (!msg) {
        g_mime_parser_options_free (opts);
        return -2;
    }
    GMimeObject *mobj = GMIME_OBJECT (msg);
    opd_mail_t *m = opd_calloc (1, sizeof *m);
    GMimeHeaderList *hl = g_mime_object_get_header_list (mobj);
    m->has_headers = hl && g_mime_header_list_get_count (hl) > 0;

    //  The requester: From, else Sender, else Return-Path.
    if (!opd_mail_first_mailbox (g_mime_message_get_from (msg), &m->from_name, &m->from_email)
        && !opd_mail_first_mailbox (g_mime_message_get_sender (msg), &m->from_name, &m->from_email)) {
        const char *rp = g_mime_object_get_header (mobj, "Return-Path");
        InternetAddressList *l = rp ? internet_address_list_parse (opts, rp) : NULL;
        if (l) {
            opd_mail_first_mailbox (l, &m->from_name, &m->from_email);
            g_object_unref (l);
        }
    }
    const char *subject = g_mime_message_get_subject (msg);
    m->subject = subject ? opd_mail_clean_utf8 (subject, -1) : opd_strdup ("");
    //  Unfolded, and no control characters (a subject is one line).
    for (char *p = m->subject; *p; p++)
        if ((unsigned char) *p < 0x20)
            *p = ' ';
    g_strstrip (m->subject);
    const char *mid = g_mime_message_get_message_id (msg);
    if (mid && *mid && strlen (mid) < 900)
        m->message_id = opd_mail_clean_utf8 (mid, -1);
    if (m->message_id)
        m->external_id = opd_strdup (m->message_id);
    else {
        char *hex = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) data, len);
        m->external_id = opd_strdup (hex);
        g_free (hex);
    }
    GPtrArray *cc = g_ptr_array_new ();
    opd_mail_addresses (g_mime_message_get_cc (msg), cc);
    m->cc = opd_mail_strv (cc, &m->ncc);
    opd_mail_trust_headers (opts, mobj, msg, m);
    GPtrArray *refs = g_ptr_array_new ();
    opd_mail_references (opts, g_mime_object_get_header (mobj, "In-Reply-To"), refs, false);
    opd_mail_references (opts, g_mime_object_get_header (mobj, "References"), refs, true);
    m->refs = opd_mail_strv (refs, &m->nrefs);

    static const char *const no[] = {"no", NULL};
    static const char *const bulk[] = {"bulk", "junk", "list", NULL};
    static const char *const yes[] = {"yes", "true", "1", NULL};
    m->auto_submitted = opd_mail_header_is (mobj, "Auto-Submitted", no, true)
                        || opd_mail_header_is (mobj, "X-Autoreply", yes, false)
                        || g_mime_object_get_header (mobj, "X-Autorespond") != NULL;
    m->bulk = opd_mail_header_is (mobj, "Precedence", bulk, false);
    if (m->from_email) {
        const char *at = strchr (m->from_email, '@');
        size_t local = at ? (size_t) (at - m->from_email) : strlen (m->from_email);
        m->from_daemon = (local == 13 && !strncmp (m->from_email, "mailer-daemon", 13))
                         || (local == 10 && !strncmp (m->from_email, "postmaster", 10));
    }

    walk_t w = {m, g_string_new (NULL), g_ptr_array_new (), 0, 0};
    GMimeObject *body = g_mime_message_get_mime_part (msg);
    if (body)
        s_walk (&w, body, 0);
    m->html_only = w.html_parts > 0 && w.plain_parts == 0;
    //  A bounce that is not a DSN (older MTAs) quotes the returned headers
    //  as text.
    if (m->from_daemon && !m->dsn_original)
        m->dsn_original = s_msgid_in_text (w.text->str);
    //  Quoted text is trimmed from replies, not from forwards.
    bool forward = false;
    const char *s = m->subject;
    bool reply_prefix = false;
    for (int guard = 0; guard < 20; guard++) {
        bool fwd = false;
        size_t n = opd_mail_prefix_len (s, &fwd);
        if (!n)
            break;
        if (fwd)
            forward = true;
        else
            reply_prefix = true;
        s += n;
    }
    if (!forward && (m->nrefs > 0 || reply_prefix) && !m->dsn)
        m->body = opd_mail_trim_quotes (w.text->str);
    else
        m->body = opd_strdup (w.text->str);
    g_string_free (w.text, TRUE);
    m->natt = w.atts->len;
    m->att = opd_calloc (m->natt + 1, sizeof (opd_mail_attachment_t));
    for (guint i = 0; i < w.atts->len; i++) {
        opd_mail_attachment_t *a = g_ptr_array_index (w.atts, i);
        m->att[i] = *a;
        free (a);
    }
    g_ptr_array_free (w.atts, TRUE);
    g_object_unref (msg);
    g_mime_parser_options_free (opts);

    //  Not mail at all: nothing that looks like a header, or no sender.
    if (!m->has_headers || !m->from_email) {
        opd_mail_destroy (&m);
        return -2;
    }
    *out = m;
    return 0;
}

void
opd_mail_destroy (opd_mail_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    opd_mail_t *m = *self_p;
    free (m->message_id);
    free (m->external_id);
    free (m->from_name);
    free (m->from_email);
    free (m->subject);
    free (m->body);
    free (m->dsn_original);
    for (size_t i = 0; i < m->ncc; i++)
        free (m->cc[i]);
    free (m->cc);
    for (size_t i = 0; i < m->nrefs; i++)
        free (m->refs[i]);
    free (m->refs);
    for (size_t i = 0; i < m->nrcpt; i++)
        free (m->rcpt[i]);
    free (m->rcpt);
    for (size_t i = 0; i < m->nauth_results; i++)
        free (m->auth_results[i]);
    free (m->auth_results);
    for (size_t i = 0; i < m->natt; i++) {
        free (m->att[i].name);
        free (m->att[i].content_type);
        g_free (m->att[i].data);
    }
    free (m->att);
    free (m);
    *self_p = NULL;
}
