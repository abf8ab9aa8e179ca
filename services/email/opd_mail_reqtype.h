/*  opd_mail_reqtype: the request type a requester's first mail names, and
    the fields its "Label: value" lines give, so that mail meets the same
    request-type schema as the portal and the API (decision 140).

    A mail names a type by a line "Request type: NAME" in its text (the
    type's name or id, in any case; the first such line that names a
    configured type), else by writing to a desk address with the type's id
    after a plus: servicedesk+new-laptop@example.org when
    servicedesk@example.org is one of channels.email.addresses (or the
    sender address of notifications.smtp). The fields are then read from
    the same text by opd_field_lines_scan (store/), as the router reads a
    reply that gives missing details; intake does the rest (a missing
    required field: pending, and the details mail). */
#ifndef OPD_MAIL_REQTYPE_H_INCLUDED
#define OPD_MAIL_REQTYPE_H_INCLUDED
#include "opd_config.h"
#include "opd_mail.h"
#include <jansson.h>

//  The request type m names, or NULL (borrowed from cfg).
const opd_reqtype_t *opd_mail_reqtype (const opd_config_t *cfg, const opd_mail_t *m);

//  The fields of rt that m's text gives: a new object (maybe empty) the
//  caller releases.
json_t *opd_mail_reqtype_fields (const opd_reqtype_t *rt, const opd_mail_t *m);
#endif
