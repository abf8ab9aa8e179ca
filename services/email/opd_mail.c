/*  opd_mail: see opd_mail.h.

    Parsing walks the MIME tree once. multipart/alternative contributes one
    branch (the one holding text/plain, else the richest); other multiparts
    contribute every inline text part in order; everything that is not inline
    text is an attachment. Each text is decoded from its transfer encoding
    and converted from its declared charset to UTF-8 here (not by
    g_mime_text_part_get_text) so that the common lies of real mail are
    survived: ISO-8859-1 that is really Windows-1252, undeclared 8-bit text,
    charsets iconv does not know.

    The delivery half of opd_mail.h (opd_mailer_*) is in opd_mailer.c. */
#include "opd_mail.h"
#include "opd_log.h"
#include "opd_util.h"
#include <glib.h>
#include <gmime/gmime.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ATTACHMENTS 100
#define MAX_PARTICIPANTS 50
#define MAX_DEPTH 32

//  --- Small text helpers ------------------------------------------------

//  The one way text is made in this file: a copy of len bytes of s as
//  valid UTF-8 without NUL characters, always a new NUL-terminated string,
//  "" for no text. Text from MIME parts arrives as (pointer, length) pairs
//  that are not NUL-terminated, and an empty part has a NULL pointer: this
//  reads exactly len bytes and never returns NULL, so that no empty part,
//  subject or report can crash a caller (issue 8). len < 0: s is a C string.
static char *
s_clean_utf8 (const char *s, gssize len)
{
    if (!s || len == 0)
        return opd_strdup ("");
    if (len < 0)
        len = (gssize) strlen (s);
    //  NUL characters become spaces first (intake refuses them).
    char *copy = g_malloc ((gsize) len + 1);
    memcpy (copy, s, (size_t) len);
    copy[len] = 0;
    for (gssize i = 0; i < len; i++)
        if (!copy[i])
            copy[i] = ' ';
    char *v = g_utf8_make_valid (copy, len);
    g_free (copy);
    char *out = opd_strdup (v);
    g_free (v);
    return out;
}

static char *
s_lower (const char *s)
{
    char *v = opd_strdup (s);
    for (char *p = v; *p; p++)
        *p = g_ascii_tolower (*p);
    return v;
}

//  The charset iconv should use for what the mail declares. ISO-8859-1 and
//  US-ASCII are read as Windows-1252, which is what senders mean by them.
static const char *
s_iconv_name (const char *charset)
{
    if (!charset || !*charset)
        return NULL;
    if (!g_ascii_strcasecmp (charset, "us-ascii") || !g_ascii_strcasecmp (charset, "ascii")
        || !g_ascii_strcasecmp (charset, "iso-8859-1") || !g_ascii_strcasecmp (charset, "latin1")
        || !g_ascii_strcasecmp (charset, "iso8859-1") || !g_ascii_strcasecmp (charset, "iso_8859-1"))
        return "WINDOWS-1252";
    if (!g_ascii_strcasecmp (charset, "utf8") || !g_ascii_strcasecmp (charset, "utf-8"))
        return "UTF-8";
    return g_mime_charset_iconv_name (charset);
}

//  Converts len bytes in charset (NULL: undeclared) to a new UTF-8 string.
static char *
s_to_utf8 (const char *data, size_t len, const char *charset)
{
    if (!data || !len)
        return s_clean_utf8 (NULL, 0);
    const char *name = s_iconv_name (charset);
    if (name && g_ascii_strcasecmp (name, "UTF-8")) {
        gsize written = 0;
        char *conv = g_convert (data, (gssize) len, "UTF-8", name, NULL, &written, NULL);
        if (conv) {
            char *out = s_clean_utf8 (conv, (gssize) written);
            g_free (conv);
            return out;
        }
    }
    if (g_utf8_validate (data, (gssize) len, NULL))
        return s_clean_utf8 (data, (gssize) len);
    //  Declared UTF-8 (or nothing, or a charset iconv refused) but not UTF-8:
    //  most such mail is Windows-1252.
    gsize written = 0;
    char *conv = g_convert (data, (gssize) len, "UTF-8", "WINDOWS-1252", NULL, &written, NULL);
    if (conv) {
        char *out = s_clean_utf8 (conv, (gssize) written);
        g_free (conv);
        return out;
    }
    return s_clean_utf8 (data, (gssize) len);
}

//  CRLF and CR to LF, in place.
static void
s_unix_lines (char *s)
{
    char *w = s;
    for (char *r = s; *r; r++) {
        if (*r == '\r') {
            *w++ = '\n';
            if (r[1] == '\n')
                r++;
        }
        else
            *w++ = *r;
    }
    *w = 0;
}

//  --- HTML to text -------------------------------------------------------

typedef struct {
    const char *name;
    const char *utf8;
} entity_t;

static const entity_t s_entities[] = {
    {"amp", "&"}, {"lt", "<"}, {"gt", ">"}, {"quot", "\""}, {"apos", "'"}, {"nbsp", " "},
    {"copy", "\u00a9"}, {"reg", "\u00ae"}, {"trade", "\u2122"}, {"euro", "\u20ac"},
    {"pound", "\u00a3"}, {"yen", "\u00a5"}, {"cent", "\u00a2"}, {"sect", "\u00a7"},
    {"deg", "\u00b0"}, {"plusmn", "\u00b1"}, {"middot", "\u00b7"}, {"para", "\u00b6"},
    {"hellip", "\u2026"}, {"mdash", "\u2014"}, {"ndash", "\u2013"}, {"lsquo", "\u2018"},
    {"rsquo", "\u2019"}, {"sbquo", "\u201a"}, {"ldquo", "\u201c"}, {"rdquo", "\u201d"},
    {"bdquo", "\u201e"}, {"laquo", "\u00ab"}, {"raquo", "\u00bb"}, {"bull", "\u2022"},
    {"times", "\u00d7"}, {"divide", "\u00f7"}, {"shy", ""}, {"zwnj", ""}, {"zwj", ""},
    {"ensp", " "}, {"emsp", " "}, {"thinsp", " "}, {"iexcl", "\u00a1"}, {"iquest", "\u00bf"},
    {"auml", "\u00e4"}, {"ouml", "\u00f6"}, {"uuml", "\u00fc"}, {"Auml", "\u00c4"},
    {"Ouml", "\u00d6"}, {"Uuml", "\u00dc"}, {"szlig", "\u00df"}, {"eacute", "\u00e9"},
    {"egrave", "\u00e8"}, {"ecirc", "\u00ea"}, {"euml", "\u00eb"}, {"Eacute", "\u00c9"},
    {"Egrave", "\u00c8"}, {"aacute", "\u00e1"}, {"agrave", "\u00e0"}, {"acirc", "\u00e2"},
    {"atilde", "\u00e3"}, {"aring", "\u00e5"}, {"aelig", "\u00e6"}, {"ccedil", "\u00e7"},
    {"Ccedil", "\u00c7"}, {"iacute", "\u00ed"}, {"igrave", "\u00ec"}, {"icirc", "\u00ee"},
    {"iuml", "\u00ef"}, {"ntilde", "\u00f1"}, {"Ntilde", "\u00d1"}, {"oacute", "\u00f3"},
    {"ograve", "\u00f2"}, {"ocirc", "\u00f4"}, {"otilde", "\u00f5"}, {"oslash", "\u00f8"},
    {"Oslash", "\u00d8"}, {"Aring", "\u00c5"}, {"AElig", "\u00c6"}, {"uacute", "\u00fa"},
    {"ugrave", "\u00f9"}, {"ucirc", "\u00fb"}, {"yacute", "\u00fd"}, {"yuml", "\u00ff"},
    {"Aacute", "\u00c1"}, {"Oacute", "\u00d3"}, {"Uacute", "\u00da"}, {"Iacute", "\u00cd"},
    {NULL, NULL}};

typedef struct {
    GString *out;
    int quote;      //  blockquote depth
    bool pre;       //  inside <pre>: whitespace kept
    bool space;     //  a space is pending before the next word
} html_t;

static bool
s_at_line_start (html_t *h)
{
    return h->out->len == 0 || h->out->str[h->out->len - 1] == '\n';
}

static void
s_html_trim_spaces (html_t *h)
{
    while (h->out->len && h->out->str[h->out->len - 1] == ' ')
        g_string_truncate (h->out, h->out->len - 1);
}

//  A line break; forced ones (br) always add one, block ones only end the
//  current line.
static void
s_html_break (html_t *h, bool force)
{
    s_html_trim_spaces (h);
    h->space = false;
    if (force || !s_at_line_start (h))
        g_string_append_c (h->out, '\n');
}

static void
s_html_prefix (html_t *h)
{
    if (s_at_line_start (h))
        for (int i = 0; i < h->quote; i++)
            g_string_append (h->out, "> ");
}

static void
s_html_text (html_t *h, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (h->pre) {
            if (c == '\n') {
                g_string_append_c (h->out, '\n');
                continue;
            }
            s_html_prefix (h);
            g_string_append_c (h->out, c);
            continue;
        }
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
            h->space = true;
            continue;
        }
        if (h->space && !s_at_line_start (h) && h->out->str[h->out->len - 1] != ' ')
            g_string_append_c (h->out, ' ');
        h->space = false;
        s_html_prefix (h);
        g_string_append_c (h->out, c);
    }
}

//  Decodes the entity at s (after '&'); returns the bytes consumed after
//  '&', or 0 when it is not an entity.
static size_t
s_html_entity (html_t *h, const char *s, size_t len)
{
    size_t n = 0;
    while (n < len && n < 32 && s[n] != ';' && (g_ascii_isalnum (s[n]) || s[n] == '#'))
        n++;
    if (n == 0 || n >= len || s[n] != ';')
        return 0;
    char buf[8];
    if (s[0] == '#') {
        gunichar cp = 0;
        if (n >= 2 && (s[1] == 'x' || s[1] == 'X'))
            cp = (gunichar) strtoul (s + 2, NULL, 16);
        else
            cp = (gunichar) strtoul (s + 1, NULL, 10);
        if (cp == 0xA0)
            cp = ' ';
        if (cp == 0 || !g_unichar_validate (cp))
            cp = 0xFFFD;
        int k = g_unichar_to_utf8 (cp, buf);
        s_html_text (h, buf, (size_t) k);
        return n + 1;
    }
    for (const entity_t *e = s_entities; e->name; e++)
        if (strlen (e->name) == n && !memcmp (e->name, s, n)) {
            s_html_text (h, e->utf8, strlen (e->utf8));
            return n + 1;
        }
    return 0;
}

static bool
s_tag_is (const char *name, const char *const *list)
{
    for (; *list; list++)
        if (!g_ascii_strcasecmp (name, *list))
            return true;
    return false;
}

char *
opd_mail_html_to_text (const char *html, size_t len)
{
    static const char *const blocks[] = {"p", "div", "tr", "table", "ul", "ol", "h1", "h2", "h3",
                                         "h4", "h5", "h6", "hr", "dl", "dt", "dd", "address",
                                         "center", "section", "article", "header", "footer",
                                         "tbody", "thead", "form", "fieldset", NULL};
    static const char *const skips[] = {"script", "style", "head", "title", "xml", NULL};
    if (!html)
        len = 0;
    html_t h = {g_string_new (NULL), 0, false, false};
    size_t i = 0;
    while (i < len) {
        char c = html[i];
        if (c == '&') {
            size_t k = s_html_entity (&h, html + i + 1, len - i - 1);
            if (k) {
                i += k + 1;
                continue;
            }
            s_html_text (&h, "&", 1);
            i++;
            continue;
        }
        if (c != '<') {
            size_t j = i;
            while (j < len && html[j] != '<' && html[j] != '&')
                j++;
            s_html_text (&h, html + i, j - i);
            i = j;
            continue;
        }
        //  A comment or declaration.
        if (i + 3 < len && !strncmp (html + i, "<!--", 4)) {
            const char *end = g_strstr_len (html + i + 4, (gssize) (len - i - 4), "-->");
            i = end ? (size_t) (end - html) + 3 : len;
            continue;
        }
        if (i + 1 < len && (html[i + 1] == '!' || html[i + 1] == '?')) {
            const char *end = memchr (html + i, '>', len - i);
            i = end ? (size_t) (end - html) + 1 : len;
            continue;
        }
        size_t j = i + 1;
        bool closing = false;
        if (j < len && html[j] == '/') {
            closing = true;
            j++;
        }
        size_t name_at = j;
        while (j < len && (g_ascii_isalnum (html[j]) || html[j] == ':'))
            j++;
        if (j == name_at) {
            s_html_text (&h, "<", 1);
            i++;
            continue;
        }
        char name[16] = "";
        snprintf (name, sizeof name, "%.*s", (int) (j - name_at < 15 ? j - name_at : 15), html + name_at);
        //  The end of the tag, quotes respected.
        char q = 0;
        while (j < len && (q || html[j] != '>')) {
            if (q && html[j] == q)
                q = 0;
            else if (!q && (html[j] == '"' || html[j] == '\''))
                q = html[j];
            j++;
        }
        i = j < len ? j + 1 : len;
        if (!closing && s_tag_is (name, skips)) {
            //  Skip to the matching end tag.
            char endtag[24];
            snprintf (endtag, sizeof endtag, "</%s", name);
            size_t k = i;
            size_t elen = strlen (endtag);
            while (k + elen <= len && g_ascii_strncasecmp (html + k, endtag, elen))
                k++;
            if (k + elen > len) {
                i = len;
                continue;
            }
            const char *end = memchr (html + k, '>', len - k);
            i = end ? (size_t) (end - html) + 1 : len;
            continue;
        }
        if (!g_ascii_strcasecmp (name, "br"))
            s_html_break (&h, true);
        else if (!g_ascii_strcasecmp (name, "li")) {
            s_html_break (&h, false);
            if (!closing) {
                s_html_prefix (&h);
                g_string_append (h.out, "- ");
            }
        }
        else if (!g_ascii_strcasecmp (name, "blockquote")) {
            s_html_break (&h, false);
            h.quote += closing ? (h.quote > 0 ? -1 : 0) : 1;
        }
        else if (!g_ascii_strcasecmp (name, "pre")) {
            s_html_break (&h, false);
            h.pre = !closing;
        }
        else if (!g_ascii_strcasecmp (name, "td") || !g_ascii_strcasecmp (name, "th")) {
            if (!closing)
                h.space = true;
        }
        else if (s_tag_is (name, blocks))
            s_html_break (&h, false);
    }
    //  Tidy: no spaces at line ends, at most one empty line in a row, no
    //  empty lines at the start or end.
    GString *tidy = g_string_new (NULL);
    char **lines = g_strsplit (h.out->str, "\n", -1);
    int empty = 0;
    for (char **l = lines; *l; l++) {
        g_strchomp (*l);
        bool blank = !**l || !strcmp (*l, ">") || strspn (*l, "> ") == strlen (*l);
        if (blank) {
            if (tidy->len)
                empty++;
            continue;
        }
        if (tidy->len)
            g_string_append (tidy, empty ? "\n\n" : "\n");
        empty = 0;
        g_string_append (tidy, *l);
    }
    g_strfreev (lines);
    g_string_free (h.out, TRUE);
    char *out = s_clean_utf8 (tidy->str, (gssize) tidy->len);
    g_string_free (tidy, TRUE);
    return out;
}

//  --- Quoted text --------------------------------------------------------

static GRegex *s_re_attrib, *s_re_original, *s_re_from, *s_re_sent, *s_re_rule;

static void
s_regex_init (void)
{
    static gsize once = 0;
    if (g_once_init_enter (&once)) {
        GRegexCompileFlags f = G_REGEX_CASELESS | G_REGEX_OPTIMIZE;
        s_re_attrib = g_regex_new (
            "^\\s*(On|Am|Le|El|Op|Il|Em|Den|P\u00e5)\\s.{0,300}"
            "((wrote|writes|schrieb|a \u00e9crit|escribi\u00f3|schreef|ha scritto|escreveu|skrev)\\s*:"
            "|\\sschrieb\\s.{1,200}:)\\s*$",
            f, 0, NULL);
        s_re_original = g_regex_new (
            "^\\s*-{2,}\\s*(Original Message|Urspr\u00fcngliche Nachricht|Message d'origine|"
            "Mensaje original|Oorspronkelijk bericht|Originalmeddelande|Alkuper\u00e4inen viesti|"
            "Messaggio originale)\\s*-{2,}\\s*$",
            f, 0, NULL);
        s_re_from = g_regex_new ("^\\s*\\*?(From|Von|De|Van|Fr\u00e5n|Da)\\s*:\\*?\\s", f, 0, NULL);
        s_re_sent = g_regex_new ("^\\s*\\*?(Sent|Gesendet|Envoy\u00e9|Enviado|Verzonden|Skickat|Date|"
                                 "Datum|Inviato)\\s*:",
                                 f, 0, NULL);
        s_re_rule = g_regex_new ("^\\s*_{10,}\\s*$", f, 0, NULL);
        g_once_init_leave (&once, 1);
    }
}

//  Lines [i, i+n) of an "On ... wrote:" attribution, which mail clients wrap
//  over up to three lines; 0 when line i starts none.
static int
s_attribution (char **lines, int count, int i)
{
    GString *joined = g_string_new (NULL);
    int found = 0;
    for (int n = 1; n <= 3 && i + n <= count; n++) {
        if (n > 1)
            g_string_append_c (joined, ' ');
        g_string_append (joined, lines[i + n - 1]);
        if (g_regex_match (s_re_attrib, joined->str, 0, NULL)) {
            found = n;
            break;
        }
    }
    g_string_free (joined, TRUE);
    return found;
}

static bool
s_outlook_block (char **lines, int count, int i)
{
    if (g_regex_match (s_re_original, lines[i], 0, NULL))
        return true;
    if (!g_regex_match (s_re_from, lines[i], 0, NULL))
        return false;
    for (int k = i + 1; k < count && k <= i + 4; k++)
        if (g_regex_match (s_re_sent, lines[k], 0, NULL))
            return true;
    return false;
}

char *
opd_mail_trim_quotes (const char *text)
{
    if (!text || !*text)
        return opd_strdup ("");
    //  The patterns are UTF-8 expressions (PCRE JIT): invalid UTF-8 given
    //  to them is undefined behaviour, and crashed (found by fuzz_mime).
    if (!g_utf8_validate (text, -1, NULL)) {
        char *valid = s_clean_utf8 (text, -1);
        char *out = opd_mail_trim_quotes (valid);
        free (valid);
        return out;
    }
    s_regex_init ();
    char **lines = g_strsplit (text, "\n", -1);
    int count = (int) g_strv_length (lines);
    bool *drop = opd_calloc ((size_t) count + 1, sizeof (bool));
    int cut = count;
    for (int i = 0; i < count && i < cut; i++) {
        if (lines[i][0] == '>') {
            drop[i] = true;
            continue;
        }
        if (s_outlook_block (lines, count, i)) {
            cut = i;
            //  Outlook's rule line above the header block goes too.
            for (int k = i - 1; k >= 0 && (!*g_strstrip (lines[k]) || g_regex_match (s_re_rule, lines[k], 0, NULL)); k--)
                cut = k;
            break;
        }
        int n = s_attribution (lines, count, i);
        if (n) {
            //  Top posting: only quoted lines follow, cut from here. Bottom
            //  posting or inline answers: drop the attribution and the quotes.
            bool answer_below = false;
            for (int k = i + n; k < count; k++)
                if (lines[k][0] && lines[k][0] != '>' && strspn (lines[k], " \t") != strlen (lines[k]))
                    answer_below = true;
            if (!answer_below) {
                cut = i;
                break;
            }
            for (int k = i; k < i + n; k++)
                drop[k] = true;
            i += n - 1;
        }
    }
    GString *out = g_string_new (NULL);
    for (int i = 0; i < cut; i++) {
        if (drop[i])
            continue;
        g_string_append (out, lines[i]);
        g_string_append_c (out, '\n');
    }
    free (drop);
    g_strfreev (lines);
    //  No empty lines at either end; runs of empty lines become one.
    char *s = g_string_free (out, FALSE);
    char **parts = g_strsplit (s, "\n", -1);
    g_free (s);
    GString *tidy = g_string_new (NULL);
    int empty = 0;
    for (char **l = parts; *l; l++) {
        g_strchomp (*l);
        if (!**l) {
            if (tidy->len)
                empty++;
            continue;
        }
        if (tidy->len)
            g_string_append (tidy, empty ? "\n\n" : "\n");
        empty = 0;
        g_string_append (tidy, *l);
    }
    g_strfreev (parts);
    char *result;
    if (tidy->len == 0)
        result = opd_strdup (text);
    else
        result = opd_strdup (tidy->str);
    g_string_free (tidy, TRUE);
    return result;
}

//  --- Subjects and Message-IDs ------------------------------------------

//  Length of a reply or forward prefix at s ("Re: ", "AW:", "Re[2]: "), or 0.
static size_t
s_prefix_len (const char *s, bool *forward)
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
    bool is_reply = s_tag_is (word, replies), is_fwd = s_tag_is (word, forwards);
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
        size_t n = s_prefix_len (s, NULL);
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
        a->name = s_clean_utf8 (name, -1);
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
    char *t = g_mime_content_type_get_mime_type (ct);
    char *v = s_lower (t);
    g_free (t);
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
    char *text = s_to_utf8 ((const char *) bytes->data, bytes->len, charset);
    g_byte_array_unref (bytes);
    s_unix_lines (text);
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
                w->m->dsn_original = s_clean_utf8 (id, -1);
        }
        else if (GMIME_IS_PART (child)
                 && (!strcmp (type, "text/rfc822-headers") || !strcmp (type, "message/delivery-status")
                     || !strcmp (type, "message/global-delivery-status")
                     || !strcmp (type, "message/global-headers"))) {
            GByteArray *bytes = s_part_bytes (GMIME_PART (child));
            char *text = s_to_utf8 ((const char *) bytes->data, bytes->len, NULL);
            g_byte_array_unref (bytes);
            s_unix_lines (text);
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

//  The first mailbox of an address header: (name, lower-cased address).
static bool
s_first_mailbox (InternetAddressList *list, char **name, char **email)
{
    if (!list)
        return false;
    for (int i = 0; i < internet_address_list_length (list); i++) {
        InternetAddress *ia = internet_address_list_get_address (list, i);
        if (INTERNET_ADDRESS_IS_GROUP (ia)) {
            if (s_first_mailbox (internet_address_group_get_members (INTERNET_ADDRESS_GROUP (ia)),
                                 name, email))
                return true;
            continue;
        }
        const char *addr = internet_address_mailbox_get_addr (INTERNET_ADDRESS_MAILBOX (ia));
        if (!addr || !*addr)
            continue;
        char *lower = s_lower (addr);
        if (!opd_email_valid (lower) || !g_utf8_validate (lower, -1, NULL)) {
            free (lower);
            continue;
        }
        *email = lower;
        const char *n = internet_address_get_name (ia);
        *name = n && *n ? s_clean_utf8 (n, -1) : NULL;
        return true;
    }
    return false;
}

static void
s_addresses (InternetAddressList *list, GPtrArray *out)
{
    if (!list)
        return;
    for (int i = 0; i < internet_address_list_length (list) && out->len < MAX_PARTICIPANTS; i++) {
        InternetAddress *ia = internet_address_list_get_address (list, i);
        if (INTERNET_ADDRESS_IS_GROUP (ia)) {
            s_addresses (internet_address_group_get_members (INTERNET_ADDRESS_GROUP (ia)), out);
            continue;
        }
        const char *addr = internet_address_mailbox_get_addr (INTERNET_ADDRESS_MAILBOX (ia));
        if (!addr)
            continue;
        char *lower = s_lower (addr);
        if (opd_email_valid (lower) && g_utf8_validate (lower, -1, NULL))
            g_ptr_array_add (out, lower);
        else
            free (lower);
    }
}

static void
s_references (GMimeParserOptions *opts, const char *text, GPtrArray *out, bool newest_first)
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
            g_ptr_array_add (out, s_clean_utf8 (id, -1));
    }
    g_mime_references_free (refs);
}

static bool
s_header_is (GMimeObject *obj, const char *name, const char *const *values, bool any_but)
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

static char **
s_strv (GPtrArray *a, size_t *n)
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
static void
s_trust_headers (GMimeParserOptions *opts, GMimeObject *mobj, GMimeMessage *msg, opd_mail_t *m)
{
    GPtrArray *rcpt = g_ptr_array_new (), *ar = g_ptr_array_new ();
    s_addresses (g_mime_message_get_to (msg), rcpt);
    s_addresses (g_mime_message_get_cc (msg), rcpt);
    GMimeHeaderList *hl = g_mime_object_get_header_list (mobj);
    int count = hl ? g_mime_header_list_get_count (hl) : 0;
    for (int i = 0; i < count; i++) {
        GMimeHeader *h = g_mime_header_list_get_header_at (hl, i);
        const char *name = g_mime_header_get_name (h), *value = g_mime_header_get_value (h);
        if (!name || !value)
            continue;
        if (!g_ascii_strcasecmp (name, "Authentication-Results") && ar->len < 20)
            g_ptr_array_add (ar, s_clean_utf8 (value, -1));
        else if (!g_ascii_strcasecmp (name, "Delivered-To") || !g_ascii_strcasecmp (name, "X-Original-To")
                 || !g_ascii_strcasecmp (name, "Envelope-To")) {
            InternetAddressList *l = internet_address_list_parse (opts, value);
            if (l) {
                s_addresses (l, rcpt);
                g_object_unref (l);
            }
        }
    }
    m->rcpt = s_strv (rcpt, &m->nrcpt);
    m->auth_results = s_strv (ar, &m->nauth_results);
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
    if (!s_first_mailbox (g_mime_message_get_from (msg), &m->from_name, &m->from_email)
        && !s_first_mailbox (g_mime_message_get_sender (msg), &m->from_name, &m->from_email)) {
        const char *rp = g_mime_object_get_header (mobj, "Return-Path");
        InternetAddressList *l = rp ? internet_address_list_parse (opts, rp) : NULL;
        if (l) {
            s_first_mailbox (l, &m->from_name, &m->from_email);
            g_object_unref (l);
        }
    }
    const char *subject = g_mime_message_get_subject (msg);
    m->subject = subject ? s_clean_utf8 (subject, -1) : opd_strdup ("");
    //  Unfolded, and no control characters (a subject is one line).
    for (char *p = m->subject; *p; p++)
        if ((unsigned char) *p < 0x20)
            *p = ' ';
    g_strstrip (m->subject);
    const char *mid = g_mime_message_get_message_id (msg);
    if (mid && *mid && strlen (mid) < 900)
        m->message_id = s_clean_utf8 (mid, -1);
    if (m->message_id)
        m->external_id = opd_strdup (m->message_id);
    else {
        char *hex = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) data, len);
        m->external_id = opd_strdup (hex);
        g_free (hex);
    }
    GPtrArray *cc = g_ptr_array_new ();
    s_addresses (g_mime_message_get_cc (msg), cc);
    m->cc = s_strv (cc, &m->ncc);
    s_trust_headers (opts, mobj, msg, m);
    GPtrArray *refs = g_ptr_array_new ();
    s_references (opts, g_mime_object_get_header (mobj, "In-Reply-To"), refs, false);
    s_references (opts, g_mime_object_get_header (mobj, "References"), refs, true);
    m->refs = s_strv (refs, &m->nrefs);

    static const char *const no[] = {"no", NULL};
    static const char *const bulk[] = {"bulk", "junk", "list", NULL};
    static const char *const yes[] = {"yes", "true", "1", NULL};
    m->auto_submitted = s_header_is (mobj, "Auto-Submitted", no, true)
                        || s_header_is (mobj, "X-Autoreply", yes, false)
                        || g_mime_object_get_header (mobj, "X-Autorespond") != NULL;
    m->bulk = s_header_is (mobj, "Precedence", bulk, false);
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
        size_t n = s_prefix_len (s, &fwd);
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
