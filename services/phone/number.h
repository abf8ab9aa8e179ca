/*  number: caller numbers as phone systems send them, normalised to E.164.

    The rules, in order (see README.md for examples):
    - "tel:" is dropped; of "sip:USER@HOST" / "sips:..." only USER is kept.
    - Spaces, tabs, '-', '.', '/', '(' and ')' are dropped; "(0)" after an
      international prefix ("+44 (0)20 ...") is dropped with its zero.
    - "+DIGITS" is kept; "00DIGITS" becomes "+DIGITS"; a national number
      with a single leading "0" becomes "+" COUNTRY_CODE and the rest.
    - Bare digits without a leading 0 or + are taken as international without
      the '+' ("447700900123", the form many PBXs send) when there are at
      least 8 of them; shorter ones are extensions and refused.
    - The result must be valid E.164 (opd_e164_valid) with 7 to 15 digits.
    Anything else (letters, a '+' in the middle) is refused. */
#ifndef PHONE_NUMBER_H_INCLUDED
#define PHONE_NUMBER_H_INCLUDED
#include <stdbool.h>
#include <stddef.h>

//  Normalises in into out (at least 17 bytes) with country_code (1 to 3
//  digits) for national numbers. Returns 0, or -1 when in is not a phone number.
int phone_number_normalise (const char *in, const char *country_code, char *out, size_t outlen);

//  True when in says the caller withheld the number: empty, "anonymous",
//  "unknown", "private", "restricted", "withheld", "unavailable" (any case).
bool phone_number_withheld (const char *in);
#endif
