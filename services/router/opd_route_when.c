/*  opd_route_when: the conditions of a routing rule beside its words
    (when.channel, when.domain, when.request_type, when.category,
    when.priority, when.hours with when.calendar). All that a rule gives must
    hold; a list condition holds when one of its values does.

    - channel, request_type, priority: the ticket's value is one of the list.
    - domain: the requester's email domain (after the last '@', compared in
      lower case) is one of the list or a subdomain of one: "example.org"
      covers "example.org" and "mail.example.org", not "badexample.org".
    - category: the category the request gave is one of the list or a path
      below it: "network" covers "network/vpn", not "networking".
    - hours: the ticket's received_at lies inside (or outside) the working
      hours of the calendar, holidays included (opd_calendar). */
#include "opd_route_int.h"
#include "opd_calendar.h"
#include "opd_util.h"
#include <string.h>

typedef enum { W_CHANNEL, W_DOMAIN, W_REQUEST_TYPE, W_CATEGORY, W_PRIORITY, W_HOURS, W_COUNT } when_t;

static const char *const s_names[W_COUNT] = {"channel", "domain", "request_type", "category", "priority", "hours"};

static bool
s_in (char *const *v, size_t n, const char *value)
{
    for (size_t i = 0; value && i < n; i++)
        if (!strcmp (v[i], value))
            return true;
    return false;
}

//  The lower-cased domain of an email address, or NULL; the caller frees it.
static char *
s_domain (const char *email)
{
    const char *at = email ? strrchr (email, '@') : NULL;
    return at && at[1] ? g_utf8_strdown (at + 1, -1) : NULL;
}

static bool
s_domain_in (char *const *v, size_t n, const char *email)
{
    char *d = s_domain (email);
    bool found = false;
    size_t len = d ? strlen (d) : 0;
    for (size_t i = 0; d && i < n && !found; i++) {
        size_t m = strlen (v[i]);
        found = !strcmp (d, v[i]) || (len > m && d[len - m - 1] == '.' && !strcmp (d + len - m, v[i]));
    }
    g_free (d);
    return found;
}

static bool
s_category_in (char *const *v, size_t n, const char *category)
{
    for (size_t i = 0; category && i < n; i++) {
        size_t m = strlen (v[i]);
        if (!strncmp (category, v[i], m) && (category[m] == '\0' || category[m] == '/'))
            return true;
    }
    return false;
}

static int64_t
s_received (const router_ticket_t *t)
{
    return t->received_at > 0 ? t->received_at : opd_now_ms ();
}

//  Whether condition w is given by r, and whether it holds for t.
static bool
s_given (const rule_t *r, when_t w)
{
    switch (w) {
    case W_CHANNEL: return r->nchannels > 0;
    case W_DOMAIN: return r->ndomains > 0;
    case W_REQUEST_TYPE: return r->nrequest_types > 0;
    case W_CATEGORY: return r->ncategories > 0;
    case W_PRIORITY: return r->npriorities > 0;
    case W_HOURS: return r->hours != 0 && r->calendar;
    default: return false;
    }
}

static bool
s_holds (const rule_t *r, when_t w, const router_ticket_t *t)
{
    switch (w) {
    case W_CHANNEL: return s_in (r->channels, r->nchannels, t->channel);
    case W_DOMAIN: return s_domain_in (r->domains, r->ndomains, t->email);
    case W_REQUEST_TYPE: return s_in (r->request_types, r->nrequest_types, t->request_type);
    case W_CATEGORY: return s_category_in (r->categories, r->ncategories, t->category);
    case W_PRIORITY: return s_in (r->priorities, r->npriorities, t->priority);
    case W_HOURS: return opd_calendar_is_working (r->calendar, s_received (t)) == (r->hours == 1);
    default: return true;
    }
}

bool
route_conditions_hold (const rule_t *r, const router_ticket_t *t)
{
    for (int w = 0; w < W_COUNT; w++)
        if (s_given (r, (when_t) w) && !s_holds (r, (when_t) w, t))
            return false;
    return true;
}

static const char *
s_or_none (const char *s)
{
    return s && *s ? s : "(none)";
}

//  The list of a list condition, comma-separated; the caller frees it.
static char *
s_list (const rule_t *r, when_t w)
{
    char *const *v = w == W_CHANNEL ? r->channels : w == W_DOMAIN ? r->domains
                   : w == W_REQUEST_TYPE ? r->request_types : w == W_CATEGORY ? r->categories : r->priorities;
    return g_strjoinv (", ", (char **) v);
}

//  One sentence on condition w for t: what the ticket has, what the rule wants.
static char *
s_detail (const rule_t *r, when_t w, const router_ticket_t *t, bool holds)
{
    if (w == W_HOURS)
        return g_strdup_printf ("received %s the working hours of calendar '%s' (the rule wants %s)",
                                opd_calendar_is_working (r->calendar, s_received (t)) ? "inside" : "outside",
                                r->calendar->id, r->hours == 1 ? "inside" : "outside");
    char *list = s_list (r, w), *domain = w == W_DOMAIN ? s_domain (t->email) : NULL;
    const char *value = w == W_CHANNEL ? t->channel : w == W_DOMAIN ? domain : w == W_REQUEST_TYPE ? t->request_type
                      : w == W_CATEGORY ? t->category : t->priority;
    char *out = g_strdup_printf ("%s %s %s %s", s_names[w], s_or_none (value), holds ? "is in" : "is not in",
                                 list);
    g_free (list);
    g_free (domain);
    return out;
}

json_t *
route_conditions (const rule_t *r, const router_ticket_t *t, const char **first_failed)
{
    json_t *a = json_array ();
    *first_failed = NULL;
    for (int w = 0; w < W_COUNT; w++) {
        if (!s_given (r, (when_t) w))
            continue;
        bool holds = s_holds (r, (when_t) w, t);
        char *detail = s_detail (r, (when_t) w, t, holds);
        json_t *c = json_pack ("{s:s, s:b, s:s}", "when", s_names[w], "holds", holds, "detail", detail);
        g_free (detail);
        json_array_append_new (a, c);
        if (!holds && !*first_failed)
            *first_failed = json_string_value (json_object_get (c, "detail"));
    }
    return a;
}
