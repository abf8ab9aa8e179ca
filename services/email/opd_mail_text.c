/*  opd_mail_text: the text of a mail made readable. Charsets converted
    to UTF-8 (with the common lies of real mail survived), HTML made into
    plain text (opd_mail_html_to_text), and the quoted text of a reply
    trimmed (opd_mail_trim_quotes). */
#include "opd_mail_int.h"

//  --- Small text helpers ------------------------------------------------

//  The one way text is made in the mail files: a copy of len bytes of s as
//  valid UTF-8 without NUL characters, always a new NUL-terminated string,
//  "" for no text. Text from MIME parts arrives as (pointer, length) pairs
//  that are not NUL-terminated, and an empty part has a NULL pointer: this
//  reads exactly len bytes and never returns NULL, so that no empty part,
//  subject or report can crash a caller (issue 8). len < 0: s is a C string.
char *
opd_mail_clean_utf8 (const char *s, gssize len)
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

char *
opd_mail_lower (const char *s)
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
char *
opd_mail_to_utf8 (const char *data, size_t len, const char *charset)
{
    if (!data || !len)
        return opd_mail_clean_utf8 (NULL, 0);
    const char *name = s_iconv_name (charset);
    if (name && g_ascii_strcasecmp (name, "UTF-8")) {
        gsize written = 0;
        char *conv = g_convert (data, (gssize) len, "UTF-8", name, NULL, &written, NULL);
        if (conv) {
            char *out = opd_mail_clean_utf8 (conv, (gssize) written);
            g_free (conv);
            return out;
        }
    }
    if (g_utf8_validate (data, (gssize) len, NULL))
        return opd_mail_clean_utf8 (data, (gssize) len);
    //  Declared UTF-8 (or nothing, or a charset iconv refused) but not UTF-8:
    //  most such mail is Windows-1252.
    gsize written = 0;
    char *conv = g_convert (data, (gssize) len, "UTF-8", "WINDOWS-1252", NULL, &written, NULL);
    if (conv) {
        char *out = opd_mail_clean_utf8 (conv, (gssize) written);
        g_free (conv);
        return out;
    }
    return opd_mail_clean_utf8 (data, (gssize) len);
}

//  CRLF and CR to LF, in place.
void
opd_mail_unix_lines (char *s)
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

//  Joins lines (trailing blanks cut, in place) with LF: no blank line at
//  the start or end, and each run of blank lines inside made one empty
//  line. quotes_blank: a line of only '>' and spaces is blank too.
static GString *
s_tidy_lines (char **lines, bool quotes_blank)
{
    GString *tidy = g_string_new (NULL);
    int empty = 0;
    for (char **l = lines; *l; l++) {
        g_strchomp (*l);
        bool blank = !**l || (quotes_blank && strspn (*l, "> ") == strlen (*l));
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
    return tidy;
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

bool
opd_mail_tag_is (const char *name, const char *const *list)
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
        if (!closing && opd_mail_tag_is (name, skips)) {
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
        else if (opd_mail_tag_is (name, blocks))
            s_html_break (&h, false);
    }
    //  Tidy: no spaces at line ends, at most one empty line in a row, no
    //  empty lines at the start or end.
    char **lines = g_strsplit (h.out->str, "\n", -1);
    GString *tidy = s_tidy_lines (lines, true);
    g_strfreev (lines);
    g_string_free (h.out, TRUE);
    char *out = opd_mail_clean_utf8 (tidy->str, (gssize) tidy->len);
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
        char *valid = opd_mail_clean_utf8 (text, -1);
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
    GString *tidy = s_tidy_lines (parts, false);
    g_strfreev (parts);
    char *result;
    if (tidy->len == 0)
        result = opd_strdup (text);
    else
        result = opd_strdup (tidy->str);
    g_string_free (tidy, TRUE);
    return result;
}
