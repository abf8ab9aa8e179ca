/*  number: see number.h. */
#include "number.h"
#include "opd_util.h"
#include <ctype.h>
#include <string.h>
#include <strings.h>

#define MAX_DIGITS 20

int
phone_number_normalise (const char *in, const char *country_code, char *out, size_t outlen)
{
    if (!in || !country_code || outlen < 17)
        return -1;
    const char *s = in;
    while (*s == ' ' || *s == '\t')
        s++;
    const char *end = s + strlen (s);
    bool sip = false;
    if (strncasecmp (s, "tel:", 4) == 0)
        s += 4;
    else if (strncasecmp (s, "sip:", 4) == 0) {
        s += 4;
        sip = true;
    }
    else if (strncasecmp (s, "sips:", 5) == 0) {
        s += 5;
        sip = true;
    }
    if (sip) {
        //  Only the user part names the number; parameters and host are not.
        const char *at = strpbrk (s, "@;");
        if (at)
            end = at;
    }
    char digits[MAX_DIGITS + 1];
    size_t nd = 0;
    bool plus = false;
    for (const char *p = s; p < end; p++) {
        char c = *p;
        if (c == '+') {
            if (plus || nd > 0)
                return -1;
            plus = true;
        }
        else if (isdigit ((unsigned char) c)) {
            if (nd == MAX_DIGITS)
                return -1;
            digits[nd++] = c;
        }
        else if (c == '(') {
            //  "+44 (0)20 ...": the national trunk zero written beside the
            //  country code is not dialled from abroad.
            bool international = plus || (nd >= 2 && digits[0] == '0' && digits[1] == '0');
            if (international && end - p >= 3 && p[1] == '0' && p[2] == ')')
                p += 2;
        }
        else if (c == ' ' || c == '\t' || c == '-' || c == '.' || c == '/' || c == ')')
            continue;
        else
            return -1;
    }
    digits[nd] = 0;
    const char *rest;
    const char *cc = "";
    if (plus)
        rest = digits;
    else if (nd >= 2 && digits[0] == '0' && digits[1] == '0')
        rest = digits + 2;
    else if (nd >= 1 && digits[0] == '0') {
        cc = country_code;
        rest = digits + 1;
    }
    else if (nd >= 8)
        rest = digits;
    else
        return -1;
    size_t ncc = strlen (cc), nrest = strlen (rest);
    if (ncc + nrest < 7 || ncc + nrest > 15)
        return -1;
    out[0] = '+';
    memcpy (out + 1, cc, ncc);
    memcpy (out + 1 + ncc, rest, nrest);
    out[1 + ncc + nrest] = 0;
    return opd_e164_valid (out) ? 0 : -1;
}

bool
phone_number_withheld (const char *in)
{
    static const char *const words[] = {"anonymous", "unknown", "private", "restricted",
                                        "withheld", "unavailable", NULL};
    if (!in)
        return true;
    while (*in == ' ')
        in++;
    if (!*in)
        return true;
    for (int i = 0; words[i]; i++)
        if (strcasecmp (in, words[i]) == 0)
            return true;
    return false;
}
