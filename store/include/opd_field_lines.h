/*  opd_field_lines: custom field values written as "Label: value" lines in
    a requester's text, the way people answer a form by mail. Shared by the
    router (a reply giving missing details, services/router/details_reply.c)
    and the mail adapters (a first mail that names its request type,
    services/email/opd_mail_reqtype.c), so both read the same lines alike.

    A line's label names a field by its label or its name, in any case; a
    leading "- " or "* " is allowed; quoted lines ("> ...") and the
    placeholder value "..." (the example line of the details mail) are
    never read. An enum value may be written in any case. Only values that
    pass opd_field_check are taken, so what is found never makes intake or
    the store refuse the rest. */
#ifndef OPD_FIELD_LINES_H_INCLUDED
#define OPD_FIELD_LINES_H_INCLUDED
#include "opd_config.h"
#include <jansson.h>

//  The values text's lines give for the fields of rt named in only (an
//  array of field names), or for every field of rt when only is NULL, set
//  into found (name -> value; a later line wins). Pure.
void opd_field_lines_scan (const char *text, const opd_reqtype_t *rt, const json_t *only, json_t *found);
#endif
