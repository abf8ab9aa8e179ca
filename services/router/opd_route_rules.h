/*  opd_route_rules: the routing decision of CONTRACT.md sections 3, 6 and 8.

    router_rules_new compiles every routing rule of a configuration once into
    one Unicode-aware regular expression per rule (GLib GRegex, PCRE2 in
    UTF-8 mode, so that "Drucker" or "Ünterbrechung" are words like "vpn").
    Keywords match whole words and phrases, case- and accent-insensitively:
    a keyword is escaped, the whitespace between its words matches any run of
    whitespace, and it must neither follow nor precede a word character. A
    rule's when.regex patterns join the same expression as they are. Text,
    keywords and patterns are folded first (accents taken off: "cafe" finds
    "Café"). Rules may also look at the channel, the requester's domain,
    the request type, the category, the priority and the working hours at
    received_at (opd_route_when.c); all conditions a rule gives must hold,
    and the first rule whose conditions hold wins. One Vectorscan database
    of every rule's words preselects the rules worth trying
    (opd_route_scan.c); each is confirmed by its own GRegex, so the answer
    is the same as trying every rule in turn (router_rules_match_plain).
    The rules are used by one thread at a time (the prefilter's scratch).

    The rules own copies of every string they hand out, so a decision stays
    valid after the configuration it came from is destroyed (SIGHUP). */
#ifndef OPD_ROUTE_RULES_H_INCLUDED
#define OPD_ROUTE_RULES_H_INCLUDED
#include "opd_config.h"
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct _router_rules_t router_rules_t;

//  What the router writes for one ticket. Every pointer is borrowed from the
//  rules (or from the ticket's own values passed in); "" means none.
typedef struct {
    const char *team;
    const char *category;
    const char *priority;
    const char *rule;               //  the matching rule's name, "" when none matched
    const char *standard_response;  //  "" when none
    const char *tags;               //  the rule's tags as a JSON array, "" when none
    const char *assignee;           //  "" when none
} router_decision_t;

//  What the decision reads of a ticket; NULL or "" (0 for received_at) when
//  the ticket has none. priority and category are the ticket's own (from
//  the request): conditions read them, and they win over the rule's.
//  received_at 0 means now (for explanations of a text).
typedef struct {
    const char *subject, *body, *priority, *category;
    const char *channel, *email, *request_type;
    int64_t received_at;
} router_ticket_t;

//  Compiles the rules of cfg. Returns NULL and one line in err when a
//  keyword cannot be compiled.
router_rules_t *router_rules_new (const opd_config_t *cfg, char *err, size_t errlen);
void router_rules_destroy (router_rules_t **self_p);
size_t router_rules_count (const router_rules_t *self);

//  The index of the first rule matching subject or body (either may be
//  NULL), or -1 when none does.
int router_rules_match (const router_rules_t *self, const char *subject, const char *body);

//  The whole decision for one ticket. ticket_priority and ticket_category
//  are the ticket's own values (NULL or "" when it has none): they win over
//  the rule's; the default team and priority fill what is still missing.
void router_rules_decide (const router_rules_t *self, const char *subject, const char *body,
                          const char *ticket_priority, const char *ticket_category,
                          router_decision_t *out);

//  The same, from every field the conditions read (channel, requester
//  domain, request type, category, priority, received time).
int router_rules_match_ticket (const router_rules_t *self, const router_ticket_t *t);
void router_rules_decide_ticket (const router_rules_t *self, const router_ticket_t *t, router_decision_t *out);
json_t *router_rules_explain_ticket (const router_rules_t *self, const router_ticket_t *t);

//  The same decision without the Vectorscan prefilter: every rule's GRegex
//  in turn (the reference the prefilter is tested and measured against).
int router_rules_match_plain (const router_rules_t *self, const router_ticket_t *t);

//  True when the rules use the Vectorscan prefilter.
bool router_rules_scanning (const router_rules_t *self);

//  For tests and benchmarks: rules loaded from now on look for their
//  keywords of common letters word by word (opd_route_words.c) when they
//  hold more than min of them; (size_t) -1 for the default.
void router_rules_tune_words (size_t min);

//  Why the ticket routes as it does: {"rule": name or null, "team",
//  "category", "priority", "standard_response" (or null), "tags", "assignee"
//  (or null), "rules": [{"name", "matched", "why", "conditions": [{"when",
//  "holds", "detail"}]}]}, where why says what matched and where, or what
//  nearly did (a keyword in a field the rule does not read, or only inside
//  a longer word), or that a later rule matched too. For tools, not the loop.
json_t *router_rules_explain (const router_rules_t *self, const char *subject, const char *body,
                              const char *ticket_priority, const char *ticket_category);

//  True when keyword occurs in text as a whole word or phrase, by the rules
//  above (compiles the keyword each time: for tests and tools, not the loop).
bool router_keyword_matches (const char *keyword, const char *text);
#endif
