/*  opd_field: a request type's custom field values, typed from text and
    checked against their definition, the one check that intake, the API,
    the console, the command line and the mail adapters share. */
#ifndef OPD_FIELD_H_INCLUDED
#define OPD_FIELD_H_INCLUDED
#include "opd_config.h"
#include <jansson.h>
#include <stddef.h>

//  "a, b, c" into buf (size bytes); returns buf.
const char *opd_join (const char *const *list, size_t n, char *buf, size_t size);

//  Custom field values given as text (a command line, a web form): typed by
//  the field's definition in rt (integer, number, boolean; else string). rt
//  may be NULL. Sets *value to a new reference, or to NULL for "" (remove the
//  field). Returns 0, or -1 with err filled in. Nothing beyond the type is
//  checked: see opd_field_check.
int opd_field_from_text (const opd_reqtype_t *rt, const char *name, const char *text,
                         json_t **value, char *err, size_t errlen);

//  Checks one custom field value (null = remove it) against the request type
//  rt: a known field, the right type, enum values, email, phone, date,
//  pattern and length, what intake checks on submission. Without a request
//  type any scalar is accepted. Returns 0, or -1 with err filled in, naming
//  the field as "fields.NAME".
int opd_field_check (const opd_reqtype_t *rt, const char *name, const json_t *value, char *err,
                     size_t errlen);
#endif
