/*  cursor: see cursor.h. */
#include "cursor.h"
#include <stdbool.h>
#include <stddef.h>

//  Digits from *p into *out; false when there are none or the value does not
//  fit in 64 bits. Leaves *p after the last digit.
static bool
s_u64 (const char **p, uint64_t *out)
{
    const char *s = *p;
    uint64_t v = 0;
    if (*s < '0' || *s > '9')
        return false;
    for (; *s >= '0' && *s <= '9'; s++) {
        unsigned d = (unsigned) (*s - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *p = s;
    *out = v;
    return true;
}

int
web_cursor_parse (const char *text, uint64_t *ms, uint64_t *seq)
{
    if (!text)
        return -1;
    const char *p = text;
    *seq = 0;
    if (!s_u64 (&p, ms))
        return -1;
    if (*p == '-') {
        p++;
        if (!s_u64 (&p, seq))
            return -1;
    }
    return *p ? -1 : 0;
}
