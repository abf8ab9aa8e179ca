/*  opd_template: the variables of standard responses (CONTRACT.md section
    8), filled in one pass. Used by the configuration loader (check), and,
    through opd_stdresp (store/), by every path that sends a standard
    response: the notifier's acknowledgement, the API and the command line.

    A variable is "{{NAME}}" (spaces inside the braces are allowed), NAME one
    of ticket.id, ticket.subject, requester.name, due.first_response,
    due.resolution, or fields.F with F made of letters, digits, '_' and '-'.

    Rendering is strict and safe: the template is scanned once, a value is
    inserted as text and never scanned again (a subject that holds
    "{{requester.name}}" stays that text), values are made one line (control
    characters become spaces, invalid UTF-8 is repaired), and an unknown
    variable, an unclosed "{{" or an empty value fails the whole rendering:
    nothing half-filled reaches a requester. */
#ifndef OPD_TEMPLATE_H_INCLUDED
#define OPD_TEMPLATE_H_INCLUDED
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

//  The values of one rendering; everything is borrowed, NULL when there is
//  none. The due times are text already (opd_template_when).
typedef struct {
    const char *ticket_id, *ticket_subject, *requester_name;
    const char *due_first_response, *due_resolution;
    const json_t *fields;  //  the ticket's custom fields (an object), or NULL
} opd_template_values_t;

//  Why a template or a rendering failed: the variable's name (without
//  braces; the text after "{{" when unclosed) and what is wrong with it.
typedef struct {
    char name[128];
    const char *why;  //  "is not a known variable", "has no value", "is not closed"
} opd_template_error_t;

//  Checks that every variable of text is known and closed. 0, or -1 and *err.
int opd_template_check (const char *text, opd_template_error_t *err);

//  Fills the variables of text. 0 and *out (the caller frees it), or -1 with
//  *out NULL and *err naming the first variable that is unknown or empty.
int opd_template_render (const char *text, const opd_template_values_t *values, char **out,
                         opd_template_error_t *err);

//  The variable names, for messages: "ticket.id, ticket.subject, ...".
const char *opd_template_names (void);

//  A time for people: "Tuesday 24 November 2026 10:00 (Europe/London)", in
//  the time zone given (UTC when NULL or unknown). buf needs 80 bytes.
void opd_template_when (int64_t ms, const char *timezone, char *buf, size_t size);
#endif
