/*  opd_mail_int.h: what the files of opd_mail share, and no one else.

    opd_mail (opd_mail.h) is one class in three files:
        opd_mail.c          the parser: the MIME walk and opd_mail_parse
        opd_mail_text.c     text: charsets to UTF-8, HTML to text, quoted
                            text trimmed from replies
        opd_mail_headers.c  what the headers say: reply and forward
                            prefixes, ticket tags in subjects and
                            Message-IDs, addresses, references, the
                            auto-reply markers, the trust headers
    The functions below are private to these files (not in opd_mail.h). */
#ifndef OPD_MAIL_INT_H
#define OPD_MAIL_INT_H

#include "opd_mail.h"
#include "opd_log.h"
#include "opd_util.h"
#include <glib.h>
#include <gmime/gmime.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  --- opd_mail_text.c ---------------------------------------------------

//  The one way text is made in the mail files: a copy of len bytes of s as
//  valid UTF-8 without NUL characters, always a new NUL-terminated string,
//  "" for no text. Text from MIME parts arrives as (pointer, length) pairs
//  that are not NUL-terminated, and an empty part has a NULL pointer: this
//  reads exactly len bytes and never returns NULL, so that no empty part,
//  subject or report can crash a caller (issue 8). len < 0: s is a C string.
char *opd_mail_clean_utf8 (const char *s, gssize len);
//  A lower-case copy of s, the caller's to free.
char *opd_mail_lower (const char *s);
//  Converts len bytes in charset (NULL: undeclared) to a new UTF-8 string.
char *opd_mail_to_utf8 (const char *data, size_t len, const char *charset);
//  CRLF and CR to LF, in place.
void opd_mail_unix_lines (char *s);
//  Whether name is one of list (NULL-terminated), ignoring ASCII case.
bool opd_mail_tag_is (const char *name, const char *const *list);

//  --- opd_mail_headers.c ------------------------------------------------

//  Length of a reply or forward prefix at s ("Re: ", "AW:", "Re[2]: "), or 0.
size_t opd_mail_prefix_len (const char *s, bool *forward);
//  The first mailbox of an address header: (name, lower-cased address).
bool opd_mail_first_mailbox (InternetAddressList *list, char **name, char **email);
//  The valid addresses of list (groups expanded), lower-cased, added to out
//  while it holds fewer than MAX_PARTICIPANTS (opd_mail_headers.c).
void opd_mail_addresses (InternetAddressList *list, GPtrArray *out);
//  The Message-IDs of a References or In-Reply-To header added to out, once each.
void opd_mail_references (GMimeParserOptions *opts, const char *text, GPtrArray *out,
                          bool newest_first);
//  Whether header name's value (before any ';') is one of values; any_but:
//  whether it is present and none of them.
bool opd_mail_header_is (GMimeObject *obj, const char *name, const char *const *values,
                         bool any_but);
//  The strings of a as a NULL-terminated array (n: how many); a is freed.
char **opd_mail_strv (GPtrArray *a, size_t *n);
//  What opd_mail_trust reads: every address the mail says it was sent to
//  (a reply token is one of them) and the Authentication-Results headers,
//  topmost first.
void opd_mail_trust_headers (GMimeParserOptions *opts, GMimeObject *mobj, GMimeMessage *msg,
                             opd_mail_t *m);

#endif
