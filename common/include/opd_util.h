/*  opd_util: small helpers shared by every program: time, UTF-8, text checks. */
#ifndef OPD_UTIL_H_INCLUDED
#define OPD_UTIL_H_INCLUDED
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

//  Milliseconds since the Unix epoch, UTC.
int64_t opd_now_ms (void);
//  nbytes (at most 64) of the kernel's randomness as 2 * nbytes lower-case
//  hex digits and a NUL into out: session ids, tokens, links.
void opd_random_hex (char *out, size_t nbytes);
//  Monotonic milliseconds, for measuring intervals.
int64_t opd_mono_ms (void);
//  Formats ms since the epoch as RFC 3339 UTC ("2026-11-25T09:48:39Z", with
//  ".123" when the milliseconds are not zero). buf needs 32 bytes.
void opd_rfc3339 (int64_t ms, char *buf, size_t size);
//  Parses RFC 3339 ("...Z" or "+01:00") into ms; returns 0 or -1.
int opd_rfc3339_parse (const char *text, int64_t *ms);

//  Parses RFC 3339 or a bare date YYYY-MM-DD (UTC). A bare date means that
//  day's start, or with end_of_day the next midnight (so that "--to
//  2026-11-30" covers the whole day). Returns 0 or -1.
int opd_time_parse (const char *text, bool end_of_day, int64_t *ms);

//  True when the len bytes are well-formed UTF-8 (no overlongs, no surrogates).
bool opd_utf8_valid (const char *s, size_t len);
//  Number of code points in well-formed UTF-8.
size_t opd_utf8_chars (const char *s, size_t len);
//  Parses a duration "90s", "15m", "4h" into ms; returns 0 or -1.
int opd_duration_parse (const char *text, int64_t *ms);
//  Email address check: local@domain, printable, no spaces or CR/LF, at most 254 bytes.
bool opd_email_valid (const char *s);
//  E.164: '+' then 2 to 15 digits, the first not 0.
bool opd_e164_valid (const char *s);
//  Channel names: [a-z0-9_-]{1,32}.
bool opd_channel_valid (const char *s);
//  strdup that aborts on out-of-memory (allocation failure is not recoverable here).
char *opd_strdup (const char *s);
char *opd_strndup (const char *s, size_t len);
void *opd_calloc (size_t n, size_t size);
//  Formats into a new string; the caller frees it.
char *opd_sprintf (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));
#endif
