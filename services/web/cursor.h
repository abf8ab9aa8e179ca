/*  cursor: the cursor of GET /api/v1/events, which is a Redis stream id
    ("MS-SEQ", or "MS" alone meaning "MS-0"). Pure code, no Redis: the fuzz
    harness fuzz/fuzz_cursor.c links it alone. */
#ifndef WEB_CURSOR_H_INCLUDED
#define WEB_CURSOR_H_INCLUDED
#include <stdint.h>

//  Parses text into its two parts. Returns 0, or -1 when it is not a stream
//  id: empty, anything but digits and one '-', a part that is empty or above
//  2^64 - 1 (what Redis refuses, which used to surface as a 503).
int web_cursor_parse (const char *text, uint64_t *ms, uint64_t *seq);
#endif
