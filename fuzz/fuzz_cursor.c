/*  fuzz_cursor: libFuzzer harness for the events cursor of
    GET /api/v1/events?since= (services/web/cursor.c). What it accepts must
    be a Redis stream id that Redis accepts too: digits, at most one '-',
    both parts within 64 bits; printed back as MS-SEQ it must parse to the
    same values. Built and run by fuzz/run.sh. */
#include "../services/web/cursor.h"
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    char *text = malloc (size + 1);
    memcpy (text, data, size);
    text[size] = 0;
    uint64_t ms = 0, seq = 0;
    if (web_cursor_parse (text, &ms, &seq) == 0) {
        if (strspn (text, "0123456789-") != strlen (text) || strchr (text, '-') != strrchr (text, '-'))
            abort ();
        char again[64];
        snprintf (again, sizeof again, "%" PRIu64 "-%" PRIu64, ms, seq);
        uint64_t ms2 = 1, seq2 = 1;
        if (web_cursor_parse (again, &ms2, &seq2) || ms2 != ms || seq2 != seq)
            abort ();
    }
    free (text);
    return 0;
}
