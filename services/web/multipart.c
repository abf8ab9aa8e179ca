/*  multipart: see multipart.h. */
#include "multipart.h"
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

//  The value of param (name="...") in a header line, into out; false when
//  absent or too long.
static bool
s_param (const char *line, size_t n, const char *param, char *out, size_t size)
{
    char key[40];
    snprintf (key, sizeof key, "%s=\"", param);
    size_t kl = strlen (key);
    for (size_t i = 0; i + kl <= n; i++) {
        if (strncasecmp (line + i, key, kl) || (i > 0 && line[i - 1] != ' ' && line[i - 1] != ';'))
            continue;
        const char *v = line + i + kl;
        const char *end = memchr (v, '"', n - (i + kl));
        if (!end || (size_t) (end - v) >= size)
            return false;
        memcpy (out, v, (size_t) (end - v));
        out[end - v] = 0;
        return true;
    }
    return false;
}

//  One part's headers (up to the blank line) into p; -1 when malformed.
static int
s_part_headers (const char *s, size_t n, web_part_t *p, size_t *used)
{
    const char *end = memmem (s, n, "\r\n\r\n", 4);
    if (!end)
        return -1;
    *used = (size_t) (end - s) + 4;
    for (const char *line = s; line < end;) {
        const char *eol = memmem (line, (size_t) (end - line), "\r\n", 2);
        size_t ln = eol ? (size_t) (eol - line) : (size_t) (end - line);
        if (ln > 20 && !strncasecmp (line, "Content-Disposition:", 20)) {
            if (!s_param (line, ln, "name", p->name, sizeof p->name))
                return -1;
            s_param (line, ln, "filename", p->filename, sizeof p->filename);
        }
        else if (ln > 13 && !strncasecmp (line, "Content-Type:", 13)) {
            size_t skip = 13;
            while (skip < ln && line[skip] == ' ')
                skip++;
            snprintf (p->type, sizeof p->type, "%.*s", (int) (ln - skip), line + skip);
        }
        line = eol ? eol + 2 : end;
    }
    return 0;
}

//  Splits a multipart/form-data body into parts; their count, or -1.
int
web_multipart (const char *ct, const char *body, size_t len, web_part_t *parts, int max)
{
    char boundary[80], delim[90];
    const char *b = ct ? strcasestr (ct, "boundary=") : NULL;
    if (!b || strncasecmp (ct, "multipart/form-data", 19))
        return -1;
    b += 9;
    size_t bl = strcspn (b, "; \"");
    if (*b == '"')
        bl = strcspn (++b, "\"");
    if (bl == 0 || bl > 70)
        return -1;
    snprintf (boundary, sizeof boundary, "%.*s", (int) bl, b);
    int dl = snprintf (delim, sizeof delim, "\r\n--%s", boundary);
    //  The body starts with --boundary (no CRLF before it).
    if (len < (size_t) dl - 2 || memcmp (body, delim + 2, (size_t) dl - 2))
        return -1;
    size_t pos = (size_t) dl - 2;
    int count = 0;
    while (pos + 2 <= len && !(body[pos] == '-' && body[pos + 1] == '-')) {
        if (count == max || memcmp (body + pos, "\r\n", 2))
            return -1;
        pos += 2;
        web_part_t *p = &parts[count];
        memset (p, 0, sizeof *p);
        size_t used;
        if (s_part_headers (body + pos, len - pos, p, &used))
            return -1;
        pos += used;
        const char *next = memmem (body + pos, len - pos, delim, (size_t) dl);
        if (!next)
            return -1;
        p->data = body + pos;
        p->len = (size_t) (next - (body + pos));
        pos = (size_t) (next - body) + (size_t) dl;
        count++;
    }
    return pos + 2 <= len ? count : -1;
}
