/*  opd_route_int.h: what the files of libopdroute share, and no one else.

    opd_route_rules.c    loading the rules and the decision
    opd_route_explain.c  explanations (opdesk route --explain)
    opd_route_scan.c     the Vectorscan prefilter over every rule's words
    opd_route_words.c    its word table, for thousands of common keywords */
#ifndef OPD_ROUTE_INT_H_INCLUDED
#define OPD_ROUTE_INT_H_INCLUDED
#include "opd_route_rules.h"
#include <glib.h>

typedef struct {
    char *name, *team, *category, *priority, *standard_response, *assignee;
    char *tags;  //  JSON array of the tags, "" when none
    bool in_subject, in_body;
    char **keywords, **patterns;  //  as configured, for explanations
    size_t nkeywords, npatterns;
    GRegex *regex;   //  every keyword of the rule as one alternation, and
                     //  every regex of when.regex; NULL when it has none
    //  The other conditions; NULL vectors (count 0) when not given.
    char **channels, **domains, **request_types, **categories, **priorities;
    size_t nchannels, ndomains, nrequest_types, ncategories, npriorities;
    int hours;                 //  0: any time, 1: inside, 2: outside
    opd_calendar_t *calendar;  //  with hours, a copy
} rule_t;

struct _router_rules_t {
    rule_t *rules;
    size_t nrules;
    char *default_team, *default_priority;
    struct router_scan *scan;  //  the Vectorscan database, NULL when off
};

//  A ticket's texts folded for matching (route_fold), or the texts
//  themselves when nothing needed folding.
typedef struct {
    char *fs, *fb;  //  owned, or NULL
    const char *subject, *body;
    size_t subject_len, body_len;  //  in bytes, of subject and body
} folded_t;
void route_fold_ticket (folded_t *f, const char *subject, const char *body);
void route_fold_free (folded_t *f);
char *route_fold (const char *text);
void route_append_keyword (GString *pattern, const char *keyword);

//  True when the rule's words (if any) occur in a field it reads.
bool route_words_hold (const rule_t *r, const char *subject, const char *body);

//  The name and outcome of each condition of r besides the words, as an
//  array [{"when", "holds", "detail"}]; *first_failed the detail of the
//  first that does not hold (borrowed from the array), else NULL.
json_t *route_conditions (const rule_t *r, const router_ticket_t *t, const char **first_failed);
bool route_conditions_hold (const rule_t *r, const router_ticket_t *t);

//  The prefilter (opd_route_scan.c). route_scan_new returns NULL when
//  Vectorscan cannot be used for these rules (then every rule is tried
//  with its GRegex). route_scan_candidates sets *out to the indexes, in
//  order, of every rule whose words may occur in the folded texts where it
//  reads them (a superset), and of every rule without words, and returns
//  their count; (size_t) -1 on a scanning failure. *out is the scan's own
//  until the next call: one thread at a time.
struct router_scan *route_scan_new (const router_rules_t *rules);
void route_scan_destroy (struct router_scan **self_p);
size_t route_scan_candidates (struct router_scan *self, const folded_t *f, unsigned **out);
#endif
