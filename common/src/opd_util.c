/*  opd_util: see opd_util.h. */
#include "opd_util.h"
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

int64_t
opd_now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
opd_mono_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
opd_rfc3339 (int64_t ms, char *buf, size_t size)
{
    time_t secs = (time_t) (ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
    int frac = (int) (ms - (int64_t) secs * 1000);
    struct tm tm;
    gmtime_r (&secs, &tm);
    if (frac)
        snprintf (buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
    else
        snprintf (buf, size, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

int
opd_rfc3339_parse (const char *text, int64_t *ms)
{
    int y, mo, d, h, mi, s, n = 0;
    if (!text || sscanf (text, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &s, &n) != 6
        || n != 19)
        if (!text || sscanf (text, "%4d-%2d-%2dt%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &s, &n) != 6
            || n != 19)
            return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60)
        return -1;
    const char *p = text + 19;
    int millis = 0;
    if (*p == '.') {
        p++;
        int digits = 0;
        while (isdigit ((unsigned char) *p)) {
            if (digits < 3)
                millis = millis * 10 + (*p - '0');
            digits++;
            p++;
        }
        if (digits == 0)
            return -1;
        for (int i = digits; i < 3; i++)
            millis *= 10;
    }
    int offset = 0;
    if (*p == 'Z' || *p == 'z')
        p++;
    else if (*p == '+' || *p == '-') {
        int oh, om;
        if (sscanf (p + 1, "%2d:%2d", &oh, &om) != 2 || strlen (p) != 6)
            return -1;
        offset = (oh * 60 + om) * 60 * (*p == '+' ? 1 : -1);
        p += 6;
    }
    else
        return -1;
    if (*p)
        return -1;
    struct tm tm = {0};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    time_t t = timegm (&tm);
    *ms = ((int64_t) t - offset) * 1000 + millis;
    return 0;
}

int
opd_time_parse (const char *text, bool end_of_day, int64_t *ms)
{
    int y, m, d;
    char tail;
    if (text && strlen (text) == 10 && sscanf (text, "%4d-%2d-%2d%c", &y, &m, &d, &tail) == 3) {
        char buf[40];
        snprintf (buf, sizeof buf, "%sT00:00:00Z", text);
        if (opd_rfc3339_parse (buf, ms))
            return -1;
        if (end_of_day)
            *ms += 86400000LL;
        return 0;
    }
    return opd_rfc3339_parse (text, ms);
}

bool
opd_utf8_valid (const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *) str;
    size_t i = 0;
    while (i < len) {
        unsigned char c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t n;
        uint32_t cp;
        if (c >= 0xC2 && c <= 0xDF) {
            n = 1;
            cp = c & 0x1F;
        }
        else if (c >= 0xE0 && c <= 0xEF) {
            n = 2;
            cp = c & 0x0F;
        }
        else if (c >= 0xF0 && c <= 0xF4) {
            n = 3;
            cp = c & 0x07;
        }
        else
            return false;
        if (len - i <= n)
            return false;
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF))
            || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += n + 1;
    }
    return true;
}

size_t
opd_utf8_chars (const char *s, size_t len)
{
    size_t count = 0;
    for (size_t i = 0; i < len; i++)
        if (((unsigned char) s[i] & 0xC0) != 0x80)
            count++;
    return count;
}

int
opd_duration_parse (const char *text, int64_t *ms)
{
    if (!text || !isdigit ((unsigned char) text[0]))
        return -1;
    char *end;
    long long n = strtoll (text, &end, 10);
    if (n <= 0 || n > 100000000LL || end[0] == 0 || end[1] != 0)
        return -1;
    int64_t unit = end[0] == 's' ? 1000 : end[0] == 'm' ? 60000 : end[0] == 'h' ? 3600000 : 0;
    if (!unit)
        return -1;
    *ms = (int64_t) n * unit;
    return 0;
}

bool
opd_email_valid (const char *s)
{
    size_t len = strlen (s);
    if (len < 3 || len > 254)
        return false;
    const char *at = strrchr (s, '@');
    if (!at || at == s || at[1] == 0 || strchr (at + 1, '.') == NULL)
        return false;
    if (at[1] == '.' || s[len - 1] == '.')
        return false;
    for (const unsigned char *p = (const unsigned char *) s; *p; p++)
        if (*p <= 0x20 || *p == 0x7F || *p == '<' || *p == '>' || *p == ',' || *p == ';'
            || *p == '"' || *p == '(' || *p == ')' || *p == '[' || *p == ']' || *p == '\\')
            return false;
    return true;
}

bool
opd_e164_valid (const char *s)
{
    if (s[0] != '+' || s[1] < '1' || s[1] > '9')
        return false;
    size_t digits = 0;
    for (const char *p = s + 1; *p; p++) {
        if (!isdigit ((unsigned char) *p))
            return false;
        digits++;
    }
    return digits >= 2 && digits <= 15;
}

bool
opd_channel_valid (const char *s)
{
    size_t len = strlen (s);
    if (len < 1 || len > 32)
        return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
            return false;
    return true;
}

char *
opd_strdup (const char *s)
{
    char *copy = strdup (s ? s : "");
    if (!copy)
        abort ();
    return copy;
}

char *
opd_strndup (const char *s, size_t len)
{
    char *copy = malloc (len + 1);
    if (!copy)
        abort ();
    memcpy (copy, s, len);
    copy[len] = 0;
    return copy;
}

void *
opd_calloc (size_t n, size_t size)
{
    void *p = calloc (n ? n : 1, size ? size : 1);
    if (!p)
        abort ();
    return p;
}

char *
opd_sprintf (const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    char *out = NULL;
    if (vasprintf (&out, fmt, ap) < 0)
        abort ();
    va_end (ap);
    return out;
}

void
opd_random_hex (char *out, size_t nbytes)
{
    unsigned char bytes[64];
    if (nbytes > sizeof bytes)
        nbytes = sizeof bytes;
    size_t got = 0;
    //  getrandom blocks only before the kernel's pool is ready at boot;
    //  a short read or EINTR: go on.
    while (got < nbytes) {
        ssize_t n = getrandom (bytes + got, nbytes - got, 0);
        if (n > 0)
            got += (size_t) n;
    }
    for (size_t i = 0; i < nbytes; i++)
        snprintf (out + 2 * i, 3, "%02x", bytes[i]);
    out[2 * nbytes] = 0;
}
