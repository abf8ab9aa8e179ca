/*  opd_mail_headers: what the headers of a mail say. Reply and forward
    prefixes of a subject, the ticket tag in a subject or a Message-ID
    (threading), the addresses and references of a mail, the auto-reply
    and bulk markers, and the headers opd_mail_trust reads. */
#include "opd_mail_int.h"

#define MAX_PARTICIPANTS 50

//  --- Subjects and Message-IDs ------------------------------------------

//  Length of a reply or forward prefix at s ("Re: ", "AW:", "Re[2]: "), or 0.
size_t
opd_mail_prefix_len (const char *s, bool *forward)
{
    static const char *const replies[] = {"re", "aw", "sv", "antw", "vs", "r", "ref", "res", "odp",
                                          "tr", NULL};
    static const char *const forwards[] = {"fwd", "fw", "wg", "fwd", "rv", "enc", "tr", NULL};
    size_t n = 0;
    while (g_ascii_isalpha (s[n]) && n < 5)
        n++;
    if (n == 0)
        return 0;
    size_t k = n;
    if (s[k] == '[' || s[k] == '(') {
        k++;
        while (g_ascii_isdigit (s[k]))
            k++;
        if (s[k] != ']' && s[k] != ')')
            return 0;
        k++;
    }
    if (s[k] != ':')
        return 0;
    char word[8];
    snprintf (word, sizeof word, "%.*s", (int) n, s);
    bool is_reply = opd_mail_tag_is (word, replies), is_fwd = opd_mail_tag_is (word, forwards);
    if (!is_reply && !is_fwd)
        return 0;
    if (forward && is_fwd && !is_reply)
        *forward = true;
    k++;
    while (s[k] == ' ' || s[k] == '\t')
        k++;
    return k;
}

const char *
opd_mail_subject_base (const char *subject)
{
    const char *s = subject;
    while (*s == ' ' || *s == '\t')
        s++;
    for (int guard = 0; guard < 20; guard++) {
        size_t n = opd_mail_prefix_len (s, NULL);
        if (!n)
            break;
        s += n;
    }
    return s;
}

bool
opd_mail_subject_tag (const char *subject, const char *prefix, char *out, size_t size)
{
    size_t plen = strlen (prefix);
    for (const char *p = strchr (subject, '['); p; p = strchr (p + 1, '[')) {
        if (g_ascii_strncasecmp (p + 1, prefix, plen) || p[1 + plen] != '-')
            continue;
        const char *d = p + 2 + plen;
        size_t nd = strspn (d, "0123456789");
        if (nd == 0 || nd > 18 || d[nd] != ']')
            continue;
        snprintf (out, size, "%s-%.*s", prefix, (int) nd, d);
        return true;
    }
    return false;
}

bool
opd_mail_msgid_ticket (const char *msgid, const char *prefix, char *out, size_t size)
{
    if (!msgid)
        return false;
    if (*msgid == '<')
        msgid++;
    if (strncmp (msgid, "opdesk.", 7))
        return false;
    const char *p = msgid + 7;
    size_t plen = strlen (prefix);
    if (strncmp (p, prefix, plen) || p[plen] != '-')
        return false;
    const char *d = p + plen + 1;
    size_t nd = strspn (d, "0123456789");
    if (nd == 0 || nd > 18 || d[nd] != '.')
        return false;
    snprintf (out, size, "%s-%.*s", prefix, (int) nd, d);
    return true;
}


//  The first mailbox of an address header: (name, lower-cased address).
bool
opd_mail_first_mailbox (InternetAddressList *list, char **name, char **email)
{
    if (!list)
        return false;
    for (int i = 0; i < internet_address_list_length (list); i++) {
        InternetAddress *ia = internet_address_list_get_address (list, i);
        if (INTERNET_ADDRESS_IS_GROUP (ia)) {
            if (opd_mail_first_mailbox (internet_address_group_get_members (INTERNET_ADDRESS_GROUP (ia)),
                                 name, email))
                return true;
            continue;
        }
        const char *addr = internet_address_mailbox_get_addr (INTERNET_ADDRESS_MAILBOX (ia));
        if (!addr || !*addr)
            continue;
        char *lower = opd_mail_lower (addr);
        if (!opd_email_valid (lower) || !g_utf8_validate (lower, -1, NULL)) {
            free (lower);
            continue;
        }
        *email = lower;
        const char *n = internet_address_get_name (ia);
        *name = n && *n ? opd_mail_clean_utf8 (n, -1) : NULL;
        return true;
    }
    return false;
}

void
opd_mail_addresses (InternetAddressList *list, GPtrArray *out)
{
    if (!list)
        return;
    for (int i = 0; i < internet_address_list_length (list) && out->len < MAX_PARTICIPANTS; i++) {
        InternetAddress *ia = internet_address_list_get_address (list, i);
        if (INTERNET_ADDRESS_IS_GROUP (ia)) {
            opd_mail_addresses (internet_address_group_get_members (INTERNET_ADDRESS_GROUP (ia)), out);
            continue;
        }
        const char *addr = internet_address_mailbox_get_addr (INTERNET_ADDRESS_MAILBOX (ia));
        if (!addr)
            continue;
        char *lower = opd_mail_lower (addr);
        if (opd_email_valid (lower) && g_utf8_validate (lower, -1, NULL))
            g_ptr_array_add (out, lower);
        else
            free (lower);
    }
}

void
opd_mail_references (GMimeParserOptions *opts, const char *text, GPtrArray *out, bool newest_first)
{
    if (!text)
        return;
    GMimeReferences *refs = g_mime_references_parse (opts, text);
    if (!refs)
        return;
    int n = g_mime_references_length (refs);
    for (int k = 0; k < n && out->len < 100; k++) {
        int i = newest_first ? n - 1 - k : k;
        const char *id = g_mime_references_get_message_id (refs, i);
        bool seen = false;
        for (guint j = 0; id && j < out->len; j++)
            if (!strcmp (g_ptr_array_index (out, j), id))
                seen = true;
        if (id && *id && !seen && strlen (id) < 900)
            g_ptr_array_add (out, opd_mail_clean_utf8 (id, -1));
    }
    g_mime_references_free (refs);
}

bool
opd_mail_header_is (GMimeObject *obj, const char *name, const char *const *values, bool any_but)
{
    const char *v = g_mime_object_get_header (obj, name);
    if (!v)
        return false;
    char *t = g_strstrip (g_ascii_strdown (v, -1));
    char *semi = strchr (t, ';');
    if (semi)
        *semi = 0;
    g_strstrip (t);
    bool hit = false;
    for (const char *const *p = values; *p; p++)
        if (!strcmp (t, *p))
            hit = true;
    g_free (t);
    return any_but ? !hit : hit;
}

char **
opd_mail_strv (GPtrArray *a, size_t *n)
{
    *n = a->len;
    char **v = opd_calloc (a->len + 1, sizeof (char *));
    for (guint i = 0; i < a->len; i++)
        v[i] = g_ptr_array_index (a, i);
    g_ptr_array_free (a, TRUE);
    return v;
}

//  What opd_mail_trust reads: every address the mail says it was sent to
//  (a reply token is one of them) and the Authentication-Results headers,
//  topmost first.
void
opd_mail_trust_headers (GMimeParserOptions *opts, GMimeObject *mobj, GMimeMessage *msg, opd_mail_t *m)
{
    GPtrArray *rcpt = g_ptr_array_new (), *ar = g_ptr_array_new ();
    opd_mail_addresses (g_mime_message_get_to (msg), rcpt);
    opd_mail_addresses (g_mime_message_get_cc (msg), rcpt);
    GMimeHeaderList *hl = g_mime_object_get_header_list (mobj);
    int count = hl ? g_mime_header_list_get_count (hl) : 0;
    for (int i = 0; i < count; i++) {
        GMimeHeader *h = g_mime_header_list_get_header_at (hl, i);
        const char *name = g_mime_header_get_name (h), *value = g_mime_header_get_value (h);
        if (!name || !value)
            continue;
        if (!g_ascii_strcasecmp (name, "Authentication-Results") && ar->len < 20)
            g_ptr_array_add (ar, opd_mail_clean_utf8 (value, -1));
        else if (!g_ascii_strcasecmp (name, "Delivered-To") || !g_ascii_strcasecmp (name, "X-Original-To")
                 || !g_ascii_strcasecmp (name, "Envelope-To")) {
            InternetAddressList *l = internet_address_list_parse (opts, value);
            if (l) {
                opd_mail_addresses (l, rcpt);
                g_object_unref (l);
            }
        }
    }
    m->rcpt = opd_mail_strv (rcpt, &m->nrcpt);
    m->auth_results = opd_mail_strv (ar, &m->nauth_results);
}
