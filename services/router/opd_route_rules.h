/*  opd_route_rules: the routing decision of CONTRACT.md sections 3, 6 and 8.

    router_rules_new compiles every routing rule of a configuration once into
    one Unicode-aware regular expression per rule (GLib GRegex, PCRE2 in
    UTF-8 mode, so that "Drucker" or "Ünterbrechung" are words like "vpn").
    Keywords match whole words and phrases, case- and accent-insensitively:
    a keyword is escaped, the whitespace between its words matches any run of
    whitespace, and it must neither follow nor precede a word character. A
    rule's when.regex patterns join the same expression as they are. Text,
    keywords and patterns are folded first (accents taken off: "cafe" finds
    "Café"). The first rule that matches wins.

    The rules own copies of every string they hand out, so a decision stays
    valid after the configuration it came from is destroyed (SIGHUP). */
#ifndef OPD_ROUTE_RULES_H_INCLUDED
#define OPD_ROUTE_RULES_H_INCLUDED
#include "opd_config.h"
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct _router_rules_t router_rules_t;

//  What the router writes for one ticket. Every pointer is borrowed from the
//  rules (or from the ticket's own values passed in); "" means none.
typedef struct {
    const char *team;
    const char *category;
    const char *priority;
    const char *rule;               //  the matching rule's name, "" when none matched
    const char *standard_response;  //  "" when none
} router_decision_t;

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

//  Why the ticket routes as it does: {"rule": name or null, "team",
//  "category", "priority", "standard_response" (or null), "rules": [{"name",
//  "matched", "why"}]}, where why says what matched and where, or what
//  nearly did (a keyword in a field the rule does not read, or only inside
//  a longer word), or that a later rule matched too. For tools, not the loop.
json_t *router_rules_explain (const router_rules_t *self, const char *subject, const char *body,
                              const char *ticket_priority, const char *ticket_category);

//  True when keyword occurs in text as a whole word or phrase, by the rules
//  above (compiles the keyword each time: for tests and tools, not the loop).
bool router_keyword_matches (const char *keyword, const char *text);
#endif
