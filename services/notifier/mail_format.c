/*  mail_format: the text of mail headers and bodies (mail.h): header text
    made safe and RFC 2047 encoded, mailboxes, dates, times for people,
    Message-IDs from external ids, quoted-printable. Pure functions; the
    messages themselves are composed in mail.c. */
#include "mail.h"
#include "opd_template.h"
#include "opd_util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const s_wday_short[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char *const s_mon_short[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
static bool
s_is_control (gunichar c)
{
    return c < 0x20 || c == 0x7F || (c >= 0x80 && c < 0xA0) || c == 0x2028 || c == 0x2029
           || c == 0x85;
}

char *
mail_header_clean (const char *s)
{
    if (!s)
        return opd_strdup ("");
    char *valid = g_utf8_make_valid (s, -1);
    GString *out = g_string_new (NULL);
    bool space = false;
    for (const char *p = valid; *p; p = g_utf8_next_char (p)) {
        gunichar c = g_utf8_get_char (p);
        if (s_is_control (c) || g_unichar_isspace (c)) {
            space = out->len > 0;
            continue;
        }
        if (space)
            g_string_append_c (out, ' ');
        space = false;
        g_string_append_unichar (out, c);
    }
    g_free (valid);
    char *r = opd_strdup (out->str);
    g_string_free (out, TRUE);
    return r;
}

static bool
s_ascii (const char *s)
{
    for (const unsigned char *p = (const unsigned char *) s; *p; p++)
        if (*p >= 0x80)
            return false;
    return true;
}

//  Appends s as RFC 2047 encoded words: at most 39 bytes of whole UTF-8
//  characters per word (52 base64 characters, 64 with the wrapping, so a
//  line stays within 78 characters even after "Subject: "), the words
//  folded onto lines of their own.
static void
s_encode_words (GString *out, const char *s)
{
    const char *p = s;
    bool first = true;
    while (*p) {
        const char *start = p;
        while (*p) {
            const char *next = g_utf8_next_char (p);
            if (next - start > 39)
                break;
            p = next;
        }
        if (p == start)  //  cannot happen with valid UTF-8; never loop forever
            p = g_utf8_next_char (p);
        gchar *b64 = g_base64_encode ((const guchar *) start, (gsize) (p - start));
        g_string_append_printf (out, "%s=?UTF-8?B?%s?=", first ? "" : "\r\n ", b64);
        g_free (b64);
        first = false;
    }
}

char *
mail_header_text (const char *s)
{
    char *clean = mail_header_clean (s);
    if (s_ascii (clean) && !strstr (clean, "=?"))
        return clean;
    GString *out = g_string_new (NULL);
    s_encode_words (out, clean);
    free (clean);
    char *r = opd_strdup (out->str);
    g_string_free (out, TRUE);
    return r;
}

char *
mail_mailbox (const char *name, const char *addr)
{
    char *clean = mail_header_clean (name);
    GString *out = g_string_new (NULL);
    if (!*clean)
        g_string_append (out, addr);
    else if (s_ascii (clean) && !strstr (clean, "=?")) {
        g_string_append_c (out, '"');
        for (const char *p = clean; *p; p++) {
            if (*p == '"' || *p == '\\')
                g_string_append_c (out, '\\');
            g_string_append_c (out, *p);
        }
        g_string_append_printf (out, "\" <%s>", addr);
    }
    else {
        s_encode_words (out, clean);
        g_string_append_printf (out, " <%s>", addr);
    }
    free (clean);
    char *r = opd_strdup (out->str);
    g_string_free (out, TRUE);
    return r;
}

void
mail_date (int64_t ms, char *buf, size_t size)
{
    time_t secs = (time_t) (ms / 1000);
    struct tm tm;
    gmtime_r (&secs, &tm);
    snprintf (buf, size, "%s, %02d %s %04d %02d:%02d:%02d +0000", s_wday_short[tm.tm_wday],
              tm.tm_mday, s_mon_short[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
              tm.tm_sec);
}

void
mail_when (int64_t ms, const char *timezone, char *buf, size_t size)
{
    opd_template_when (ms, timezone, buf, size);
}

char *
mail_msgid_from_external (const char *external_id)
{
    if (!external_id)
        return NULL;
    const char *s = external_id;
    size_t len = strlen (s);
    while (len && (*s == ' ' || *s == '\t')) {
        s++;
        len--;
    }
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    if (len >= 2 && s[0] == '<' && s[len - 1] == '>') {
        s++;
        len -= 2;
    }
    if (len < 3 || len > 250)
        return NULL;
    int ats = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char) s[i];
        if (c <= 0x20 || c >= 0x7F || strchr ("<>\"\\(),;:[]", c))
            return NULL;
        if (c == '@')
            ats++;
    }
    if (ats != 1 || s[0] == '@' || s[len - 1] == '@')
        return NULL;
    return opd_sprintf ("<%.*s>", (int) len, s);
}

char *
mail_qp_encode (const char *text, size_t len)
{
    GString *out = g_string_new (NULL);
    size_t col = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char) text[i];
        if (c == '\r' && i + 1 < len && text[i + 1] == '\n') {
            g_string_append (out, "\r\n");
            col = 0;
            i++;
            continue;
        }
        bool line_end = i + 1 == len || (text[i + 1] == '\r' && i + 2 < len && text[i + 2] == '\n');
        char piece[4];
        if ((c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !line_end))
            snprintf (piece, sizeof piece, "%c", c);
        else
            snprintf (piece, sizeof piece, "=%02X", c);
        size_t plen = strlen (piece);
        //  A soft line break keeps every line within 76 characters.
        if (col + plen > 75) {
            g_string_append (out, "=\r\n");
            col = 0;
        }
        g_string_append (out, piece);
        col += plen;
    }
    char *r = opd_strdup (out->str);
    g_string_free (out, TRUE);
    return r;
}
