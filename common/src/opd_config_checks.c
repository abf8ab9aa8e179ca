/*  opd_config_checks: the rules on one value, one section or one list
    item that a row names in .check, and the K_CUSTOM rows read by their
    own function: calendar hours, the category tree, retention per
    category. */
#include "opd_config_int.h"
#include "opd_template.h"
#include <glib.h>

//  --- checks of one value ----------------------------------------------------

static const char *s_days_names[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

bool
opd_cfg_prefix_ok (ctx_t *c, const char *path, char *base, const entry_t *e)
{
    const char *p = *opd_cfg_str_at (base, e);
    if (!*p || strlen (p) > 16)
        return opd_cfg_fail (c, path, "must be 1 to 16 letters and digits");
    for (; *p; p++)
        if (!g_ascii_isalnum (*p))
            return opd_cfg_fail (c, path, "may hold only letters and digits");
    return true;
}

bool
opd_cfg_demo_seen (ctx_t *c, const char *path, char *base, const entry_t *e)
{
    c->demo_given = true;
    return true;
}

bool
opd_cfg_keywords_ok (ctx_t *c, const char *path, char *base, const entry_t *e)
{
    char **words = *FIELD (char **, base, e);
    for (size_t i = 0; i < *COUNT (base, e); i++)
        if (!*words[i])
            return opd_cfg_fail (c, path, "a keyword cannot be empty");
    return true;
}

//  routing_rules[].when.regex: each compiles (GLib's PCRE2, as the router
//  compiles them, case-insensitively), so a bad one stops every service at
//  load with the rule and the compiler's message.
bool
opd_cfg_regex_ok (ctx_t *c, const char *path, char *base, const entry_t *e)
{
    char **res = *FIELD (char **, base, e);
    const char *rule = ((opd_rule_t *) (void *) base)->name;
    for (size_t i = 0; i < *COUNT (base, e); i++) {
        GError *error = NULL;
        GRegex *re = g_regex_new (res[i], G_REGEX_CASELESS, 0, &error);
        if (!re) {
            bool ok = opd_cfg_fail (c, path, "regex %zu of rule '%s' (%s) cannot be compiled: %s", i + 1,
                                    rule ? rule : "?", res[i], error ? error->message : "unknown error");
            g_clear_error (&error);
            return ok;
        }
        g_regex_unref (re);
    }
    return true;
}

//  References to what the rows above declared.

//  --- checks of a list item or section as a whole ----------------------------

//  The last of count items (each size bytes, its id a char * at id_off)
//  must not repeat an earlier one's id.
static bool
s_once (ctx_t *c, const char *path, const void *items, size_t count, size_t size, size_t id_off,
        const char *noun)
{
    const char *base = items;
    const char *id = *(char *const *) (const void *) (base + (count - 1) * size + id_off);
    for (size_t i = 0; i + 1 < count; i++)
        if (!strcmp (*(char *const *) (const void *) (base + i * size + id_off), id))
            return opd_cfg_fail (c, path, "%s '%s' appears twice", noun, id);
    return true;
}

//  name, when absent, is the id.
static void
s_name_from_id (char **name, const char *id)
{
    if (!*name)
        *name = opd_strdup (id);
}

//  Holidays sorted, for lookups by date.
bool
opd_cfg_calendar_done (ctx_t *c, const char *path, char *base, const entry_t *e)
{
    opd_calendar_t *cal = (opd_calendar_t *) (void *) base;
    if (cal->nholidays)
        qsort (cal->holidays, cal->nholidays, sizeof (char *), opd_cfg_str_cmp);
    return true;
}

bool
opd_cfg_matrix_done (ctx_t *c, const char *path, char *base, const entry_t *e)
{
    c->cfg->has_matrix = c->cfg->priority_matrix[0][0] != 0;
    return true;
}

bool
opd_cfg_team_done (ctx_t *c, const char *path, char *base, const entry_t *e)
{
    opd_team_t *t = (opd_team_t *) (void *) base;
    s_name_from_id (&t->name, t->id);
    return s_once (c, path, c->cfg->teams, c->cfg->nteams, sizeof *t, offsetof (opd_team_t, id),
                   "team");
}

bool
opd_cfg_agent_done (ctx_t *c, const char *path, char *base, const entry_t *e)
{
    opd_agent_t *a = (opd_agent_t *) (void *) base;
    s_name_from_id (&a->name, a->id);
    return s_once (c, path, c->cfg->agents, c->cfg->nagents, sizeof *a,
                   offsetof (opd_agent_t, id), "agent");
}

//  A guide link people click: http or https, a host, nothing that is not
//  printable ASCII (no spaces), and what GLib's RFC 3986 parser accepts.
static bool
s_guide_url_ok (const char *url)
{
    for (const unsigned char *p = (const unsigned char *) url; *p; p++)
        if (*p <= 0x20 || *p >= 0x7F)
            return false;
    GUri *u = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
    bool ok = u && (!g_ascii_strcasecmp (g_uri_get_scheme (u), "http")
                    || !g_ascii_strcasecmp (g_uri_get_scheme (u), "https"))
              && g_uri_get_host (u) && *g_uri_get_host (u);
    if (u)
        g_uri_unref (u);
    return ok;
}

//  The subject's and body's variables are known and closed (opd_template),
//  the guide link is well-formed; errors name the response.
bool
opd_cfg_stdresp_done (ctx_t *c, const char *path, char *base, const entry_t *e)
{
    const opd_stdresp_t *sr = (const opd_stdresp_t *) (const void *) base;
    const char *parts[] = {"subject", "body"}, *texts[] = {sr->subject, sr->body};
    opd_template_error_t err;
    for (int i = 0; i < 2; i++)
        if (opd_template_check (texts[i], &err))
            return opd_cfg_fail (c, path, "standard response '%s': the %s's {{%s}} %s (variables: %s)",
                                 sr->id, parts[i], err.name, err.why, opd_template_names ());
    if (sr->guide_url && !s_guide_url_ok (sr->guide_url))
        return opd_cfg_fail (c, path,
                             "standard response '%s': guide_url '%s' is not a well-formed http:// or "
                             "https:// link",
                             sr->id, sr->guide_url);
    return s_once (c, path, c->cfg->stdresps, c->cfg->nstdresps, sizeof (opd_stdresp_t),
                   offsetof (opd_stdresp_t, id), "standard response");
}

//  A routing rule has at least one condition; when.hours and when.calendar
//  come together. (Request types and the assignee's team are checked in
//  opd_cfg_finish, once every section is read.)
bool
opd_cfg_rule_done (ctx_t *c, const char *path, char *base, const entry_t *e)
{
    (void) e;
    const opd_rule_t *r = (const opd_rule_t *) (void *) base;
    if (!r->nkeywords && !r->nregexes && !r->nchannels && !r->ndomains && !r->nrequest_types
        && !r->ncategories && !r->npriorities && !r->hours)
        return opd_cfg_fail (c, path,
                             "needs at least one condition: a keyword (when.keywords), a regex "
                             "(when.regex), when.channel, when.domain, when.request_type, "
                             "when.category, when.priority or when.hours");
    if (!r->hours != !r->calendar)
        return opd_cfg_fail (c, path, "when.hours and when.calendar go together");
    return true;
}

//  routing_rules[].when.channel: channel names.
bool
opd_cfg_rule_channels_ok (ctx_t *c, const char *path, char *base, const entry_t *e)
{
    char **v = *FIELD (char **, base, e);
    for (size_t i = 0; i < *COUNT (base, e); i++)
        if (!opd_channel_valid (v[i]))
            return opd_cfg_fail (c, path, "'%s' is not a channel name ([a-z0-9_-]{1,32})", v[i]);
    return true;
}

//  routing_rules[].when.domain: domain names ("example.org"), no '@'.
bool
opd_cfg_rule_domains_ok (ctx_t *c, const char *path, char *base, const entry_t *e)
{
    char **v = *FIELD (char **, base, e);
    for (size_t i = 0; i < *COUNT (base, e); i++) {
        const char *d = v[i];
        bool ok = *d && *d != '.' && d[strlen (d) - 1] != '.' && strlen (d) <= 253;
        for (const char *p = d; ok && *p; p++)
            ok = g_ascii_isalnum (*p) || *p == '-' || *p == '.' || ((unsigned char) *p & 0x80);
        if (!ok)
            return opd_cfg_fail (c, path, "'%s' is not a domain name (example.org)", d);
    }
    return true;
}

//  routing_rules[].when.priority: P1 to P4.
bool
opd_cfg_rule_priorities_ok (ctx_t *c, const char *path, char *base, const entry_t *e)
{
    char **v = *FIELD (char **, base, e);
    for (size_t i = 0; i < *COUNT (base, e); i++)
        if (!opd_priority_rank (v[i]))
            return opd_cfg_fail (c, path, "priority '%s' must be P1, P2, P3 or P4", v[i]);
    return true;
}

//  routing_rules[].then.tags: short words a filter can name.
bool
opd_cfg_rule_tags_ok (ctx_t *c, const char *path, char *base, const entry_t *e)
{
    char **v = *FIELD (char **, base, e);
    for (size_t i = 0; i < *COUNT (base, e); i++) {
        bool ok = *v[i] && strlen (v[i]) <= 64;
        for (const char *p = v[i]; ok && *p; p++)
            ok = g_ascii_isalnum (*p) || strchr ("-_./:", *p);
        if (!ok)
            return opd_cfg_fail (c, path, "tag '%s' must be 1 to 64 letters, digits, - _ . / or :", v[i]);
    }
    return true;
}

bool
opd_cfg_policy_done (ctx_t *c, const char *path, char *base, const entry_t *e)
{
    opd_policy_t *p = (opd_policy_t *) (void *) base;
    if (!p->first_response && !p->resolution && !p->next_reply)
        return opd_cfg_fail (c, path,
                             "needs at least one of first_response, next_reply, resolution");
    return s_once (c, path, c->cfg->policies, c->cfg->npolicies, sizeof *p,
                   offsetof (opd_policy_t, name), "policy");
}

//  slo_policies[].match: each value names something that exists (its
//  request type is checked in opd_cfg_finish, once request types are read).
bool
opd_cfg_match_done (ctx_t *c, const char *path, char *base, const entry_t *e)
{
    const opd_match_t *m = &((opd_policy_t *) (void *) base)->match;
    if (m->priority && !opd_priority_rank (m->priority))
        return opd_cfg_fail (c, path, "priority '%s' must be P1, P2, P3 or P4", m->priority);
    if (m->kind && strcmp (m->kind, "incident") && strcmp (m->kind, "service_request"))
        return opd_cfg_fail (c, path, "kind '%s' must be incident or service_request", m->kind);
    if (m->category && !opd_config_category_exists (c->cfg, m->category))
        return opd_cfg_fail (c, path, "unknown category '%s'", m->category);
    if (m->team && !opd_config_team (c->cfg, m->team))
        return opd_cfg_fail (c, path, "unknown team '%s'", m->team);
    if (m->channel && !opd_channel_valid (m->channel))
        return opd_cfg_fail (c, path, "channel '%s' is not a channel name", m->channel);
    return true;
}

bool
opd_cfg_shift_done (ctx_t *c, const char *path, char *base, const entry_t *e)
{
    opd_shift_t *s = (opd_shift_t *) (void *) base;
    char sub[512];
    if (s->to == s->from)
        return opd_cfg_path (sub, sizeof sub, path, "to"),
               opd_cfg_fail (c, sub, "a shift cannot end when it starts");
    if (!s->timezone) {
        const opd_team_t *t = opd_config_team (c->cfg, s->team);
        const opd_calendar_t *cal = t && t->calendar ? opd_config_calendar (c->cfg, t->calendar)
                                                     : NULL;
        s->timezone = opd_strdup (cal ? cal->timezone : "UTC");
    }
    return true;
}

bool
opd_cfg_reqtype_done (ctx_t *c, const char *path, char *base, const entry_t *e)
{
    opd_reqtype_t *rt = (opd_reqtype_t *) (void *) base;
    s_name_from_id (&rt->name, rt->id);
    return s_once (c, path, c->cfg->reqtypes, c->cfg->nreqtypes, sizeof *rt,
                   offsetof (opd_reqtype_t, id), "request type");
}

bool
opd_cfg_field_done (ctx_t *c, const char *path, char *base, const entry_t *e)
{
    opd_field_t *f = (opd_field_t *) (void *) base;
    char sub[512];
    if (f->type == OPD_FIELD_ENUM && f->nvalues == 0)
        return opd_cfg_path (sub, sizeof sub, path, "values"),
               opd_cfg_fail (c, sub, "an enum field needs values");
    for (const char *p = f->name; *p; p++)
        if (!g_ascii_isalnum (*p) && *p != '_' && *p != '-')
            return opd_cfg_fail (c, path, "field name '%s' may hold only letters, digits, _ and -",
                           f->name);
    if (f->pattern) {
        GError *gerr = NULL;
        f->regex = g_regex_new (f->pattern, G_REGEX_OPTIMIZE, 0, &gerr);
        if (!f->regex) {
            opd_cfg_path (sub, sizeof sub, path, "pattern");
            opd_cfg_fail (c, sub, "is not a valid regular expression: %s", gerr->message);
            g_error_free (gerr);
            return false;
        }
    }
    //  The fields before it in its request type (the item is the last one).
    const opd_reqtype_t *rt = &c->cfg->reqtypes[c->cfg->nreqtypes - 1];
    return s_once (c, path, rt->fields, rt->nfields, sizeof *f, offsetof (opd_field_t, name),
                   "field");
}

bool
opd_cfg_web_done (ctx_t *c, const char *path, char *base, const entry_t *e)
{
    if (!c->cfg->web_public_url)
        c->cfg->web_public_url = opd_sprintf ("http://%s", c->cfg->ep_http);
    return true;
}

bool
opd_cfg_phone_done (ctx_t *c, const char *path, char *base, const entry_t *e)
{
    if (c->cfg->phone_secret && strlen (c->cfg->phone_secret) < 8)
        return opd_cfg_fail (c, "channels.phone.secret", "needs at least 8 characters");
    return true;
}

//  attachments.dir, else its older name channels.email.attachments_dir.
bool
opd_cfg_attachments_done (ctx_t *c, const char *path, char *base, const entry_t *e)
{
    opd_config_t *cfg = c->cfg;
    if (!cfg->attachments_dir && cfg->email_attachments_dir)
        cfg->attachments_dir = opd_strdup (cfg->email_attachments_dir);
    return true;
}

bool
opd_cfg_agent_mail_done (ctx_t *c, const char *path, char *base, const entry_t *e)
{
    opd_config_t *cfg = c->cfg;
    if (cfg->agent_mail_secret && strlen (cfg->agent_mail_secret) < 16)
        return opd_cfg_fail (c, "channels.email.agent_mail.secret",
                             "must be at least 16 characters");
    if ((cfg->agent_mail_trust & OPD_AGENT_TRUST_DMARC) && !cfg->agent_mail_authserv_id)
        return opd_cfg_fail (c, "channels.email.agent_mail.authserv_id",
                       "is required when trust includes dmarc");
    return true;
}

//  slo_burn.fast and .slow: the short window confirms that the burn is still
//  going on, so it is the shorter; the long one fits in the rolling window.
bool
opd_cfg_burn_done (ctx_t *c, const char *path, char *base, const entry_t *e)
{
    const opd_burn_alert_t *a = FIELD (opd_burn_alert_t, base, e);
    char sub[512];
    if (a->long_ms > c->cfg->burn_window_ms)
        return opd_cfg_path (sub, sizeof sub, path, "long"),
               opd_cfg_fail (c, sub, "must not be longer than slo_burn.window");
    if (a->short_ms >= a->long_ms)
        return opd_cfg_path (sub, sizeof sub, path, "short"),
               opd_cfg_fail (c, sub, "must be shorter than %s.long", path);
    return true;
}

bool
opd_cfg_token_done (ctx_t *c, const char *path, char *base, const entry_t *e)
{
    static const char *const roles[] = {"", "requester", "agent", "lead", "admin"};
    opd_token_t *t = (opd_token_t *) (void *) base;
    char sub[512];
    opd_cfg_path (sub, sizeof sub, path, "token");
    if (!strncmp (t->token, "sha256:", 7)) {
        const char *hex = t->token + 7;
        if (strlen (hex) != 64 || strspn (hex, "0123456789abcdefABCDEF") != 64)
            return opd_cfg_fail (c, sub, "a hashed token is sha256: and 64 hex digits");
        t->hashed = true;
        memmove (t->token, hex, 65);
        for (char *p = t->token; *p; p++)
            *p = (char) g_ascii_tolower (*p);
    }
    else if (strlen (t->token) < 8)
        //  Weak, but a desk that refuses to start over it helps nobody
        //  (decision 169); the token itself is never logged.
        opd_warn ("%s: a token of fewer than 8 characters is easy to guess", sub);
    //  One token, one role: a second entry would be ignored without a word.
    for (const opd_token_t *o = c->cfg->tokens; o < t; o++)
        if (o->hashed == t->hashed && !strcmp (o->token, t->token))
            return opd_cfg_fail (c, sub, "the same token as tokens[%zu]", (size_t) (o - c->cfg->tokens));
    opd_cfg_path (sub, sizeof sub, path, "identity");
    if (t->role == OPD_ROLE_REQUESTER && (!t->identity || !opd_email_valid (t->identity)))
        return opd_cfg_fail (c, sub, "a requester token's identity must be an email address");
    //  A lead sees every team, so its identity need not be an agent's.
    if (t->role == OPD_ROLE_AGENT && (!t->identity || !opd_config_agent (c->cfg, t->identity)))
        return opd_cfg_fail (c, sub, "an agent token's identity must be a known agent id");
    s_name_from_id (&t->identity, roles[t->role]);
    return true;
}

//  --- rows read by their own function (K_CUSTOM) ------------------------------

static int
s_span_cmp (const void *a, const void *b)
{
    return ((const opd_span_t *) a)->from - ((const opd_span_t *) b)->from;
}

//  One day of calendars.*.hours: ["08:00-12:30", "13:30-18:00"].
static bool
s_day_hours (ctx_t *c, yaml_node_t *n, const char *path, opd_calendar_t *cal, int d)
{
    char **spans = NULL;
    size_t nspans = 0;
    bool ok = opd_cfg_strlist (c, n, path, &spans, &nspans);
    cal->hours[d] = opd_calloc (nspans + 1, sizeof (opd_span_t));
    for (size_t i = 0; ok && i < nspans; i++) {
        char from[8] = "", to[8] = "";
        const char *dash = strchr (spans[i], '-');
        opd_span_t *s = &cal->hours[d][cal->nhours[d]];
        if (dash && dash - spans[i] <= 5 && strlen (dash + 1) <= 5) {
            memcpy (from, spans[i], (size_t) (dash - spans[i]));
            strcpy (to, dash + 1);
        }
        if (!opd_cfg_parse_hhmm (from, &s->from, false) || !opd_cfg_parse_hhmm (to, &s->to, true))
            ok = opd_cfg_fail (c, path, "'%s' is not HH:MM-HH:MM", spans[i]);
        else if (s->to <= s->from)
            ok = opd_cfg_fail (c, path, "'%s' ends before it starts", spans[i]);
        else
            cal->nhours[d]++;
    }
    opd_cfg_free_list (spans, nspans);
    if (!ok)
        return false;
    qsort (cal->hours[d], cal->nhours[d], sizeof (opd_span_t), s_span_cmp);
    for (size_t i = 1; i < cal->nhours[d]; i++)
        if (cal->hours[d][i].from < cal->hours[d][i - 1].to)
            return opd_cfg_fail (c, path, "intervals overlap");
    return true;
}

bool
opd_cfg_hours (ctx_t *c, yaml_node_t *n, const char *path, char *base, const entry_t *e)
{
    opd_calendar_t *cal = (opd_calendar_t *) (void *) base;
    if (!n)
        return opd_cfg_fail (c, path, "is required ('24x7' or a map of days)");
    if (n->type == YAML_SCALAR_NODE) {
        if (strcmp (opd_cfg_text (n), "24x7"))
            return opd_cfg_fail (c, path, "must be '24x7' or a map of days");
        cal->always = true;
        return true;
    }
    if (!opd_cfg_is_map (c, n, path))
        return false;
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++)
        if (opd_cfg_choice ("mon|tue|wed|thu|fri|sat|sun", opd_cfg_text (opd_cfg_node (c, p->key)))
            < 0) {
            char sub[512];
            opd_cfg_path (sub, sizeof sub, path, opd_cfg_text (opd_cfg_node (c, p->key)));
            return opd_cfg_fail (c, sub, "unknown key");
        }
    for (int d = 0; d < 7; d++) {
        char sub[512];
        opd_cfg_path (sub, sizeof sub, path, s_days_names[d]);
        if (!s_day_hours (c, opd_cfg_get (c, n, s_days_names[d]), sub, cal, d))
            return false;
    }
    return true;
}

void
opd_cfg_hours_free (char *base, const entry_t *e)
{
    opd_calendar_t *cal = (opd_calendar_t *) (void *) base;
    for (int d = 0; d < 7; d++)
        free (cal->hours[d]);
}

static void
s_add_category (opd_config_t *cfg, const char *prefix, const char *name)
{
    char *full = *prefix ? opd_sprintf ("%s/%s", prefix, name) : opd_strdup (name);
    cfg->categories = realloc (cfg->categories, (cfg->ncategories + 1) * sizeof (char *));
    if (!cfg->categories)
        abort ();
    cfg->categories[cfg->ncategories++] = full;
}

//  Collects every path of the taxonomy under n into cfg->categories.
static bool
s_category_tree (ctx_t *c, yaml_node_t *n, const char *prefix, const char *path, int depth)
{
    if (depth > 16)
        return opd_cfg_fail (c, path, "is nested too deeply");
    if (n->type == YAML_SEQUENCE_NODE) {
        //  A list of leaf names is accepted too: [laptop, printer].
        for (size_t i = 0; i < opd_cfg_seq_len (n); i++) {
            yaml_node_t *item = ITEM (n, i);
            if (!item || item->type != YAML_SCALAR_NODE)
                return opd_cfg_fail (c, path, "items must be names");
            if (!*opd_cfg_text (item) || strchr (opd_cfg_text (item), '/'))
                return opd_cfg_fail (c, path, "'%s' is not a category name", opd_cfg_text (item));
            s_add_category (c->cfg, prefix, opd_cfg_text (item));
        }
        return true;
    }
    if (n->type != YAML_MAPPING_NODE)
        return opd_cfg_fail (c, path, "must be a map of categories");
    if (!opd_cfg_is_map (c, n, path))
        return false;
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        const char *name = opd_cfg_text (opd_cfg_node (c, p->key));
        char sub[512];
        opd_cfg_path (sub, sizeof sub, path, name);
        if (!*name || strchr (name, '/') || strlen (name) > 64)
            return opd_cfg_fail (c, sub, "is not a category name");
        s_add_category (c->cfg, prefix, name);
        yaml_node_t *child = opd_cfg_node (c, p->value);
        if (!opd_cfg_is_null (child)
            && !s_category_tree (c, child, c->cfg->categories[c->cfg->ncategories - 1], sub,
                                 depth + 1))
            return false;
    }
    return true;
}

bool
opd_cfg_categories (ctx_t *c, yaml_node_t *n, const char *path, char *base, const entry_t *e)
{
    opd_config_t *cfg = c->cfg;
    if (n && !s_category_tree (c, n, "", path, 0))
        return false;
    if (cfg->ncategories)
        qsort (cfg->categories, cfg->ncategories, sizeof (char *), opd_cfg_str_cmp);
    for (size_t i = 1; i < cfg->ncategories; i++)
        if (!strcmp (cfg->categories[i], cfg->categories[i - 1]))
            return opd_cfg_fail (c, path, "'%s' appears twice", cfg->categories[i]);
    return true;
}

void
opd_cfg_categories_free (char *base, const entry_t *e)
{
    opd_config_t *cfg = (opd_config_t *) (void *) base;
    opd_cfg_free_list (cfg->categories, cfg->ncategories);
}



//  A retention map (name -> days) into *rules, *n; known says whether a
//  name exists (a category path, a request type id).
static bool
s_retention_map (ctx_t *c, yaml_node_t *n, const char *path, opd_retention_rule_t **rules, size_t *count,
                 bool (*known) (const opd_config_t *, const char *), const char *what)
{
    opd_config_t *cfg = c->cfg;
    if (!n)
        return true;
    if (!opd_cfg_is_map (c, n, path))
        return false;
    size_t len = (size_t) (n->data.mapping.pairs.top - n->data.mapping.pairs.start);
    *rules = opd_calloc (len + 1, sizeof (opd_retention_rule_t));
    static const entry_t days = {"days", K_INT, IN (opd_retention_rule_t, days), .min = 0,
                                 .max = 36500};
    for (size_t i = 0; i < len; i++) {
        yaml_node_pair_t *p = &n->data.mapping.pairs.start[i];
        const char *name = opd_cfg_text (opd_cfg_node (c, p->key));
        yaml_node_t *v = opd_cfg_node (c, p->value);
        char sub[512];
        opd_cfg_path (sub, sizeof sub, path, name);
        if (!known (cfg, name))
            return opd_cfg_fail (c, sub, "unknown %s '%s'", what, name);
        opd_retention_rule_t *r = &(*rules)[*count];
        if (opd_cfg_is_null (v))
            return opd_cfg_fail (c, sub, "must be a number of days");
        if (v->type != YAML_SCALAR_NODE)
            return opd_cfg_fail (c, sub, "must be a whole number");
        if (!opd_cfg_set (c, &days, (char *) r, opd_cfg_text (v), sub))
            return false;
        r->category = opd_strdup (name);
        (*count)++;
    }
    return true;
}

//  retention.per_category: category -> days.
bool
opd_cfg_per_category (ctx_t *c, yaml_node_t *n, const char *path, char *base, const entry_t *e)
{
    return s_retention_map (c, n, path, &c->cfg->retention_rules, &c->cfg->nretention_rules,
                            opd_config_category_exists, "category");
}

static bool
s_reqtype_known (const opd_config_t *cfg, const char *id)
{
    return opd_config_reqtype (cfg, id) != NULL;
}

//  retention.per_request_type: request type id -> days.
bool
opd_cfg_per_request_type (ctx_t *c, yaml_node_t *n, const char *path, char *base, const entry_t *e)
{
    return s_retention_map (c, n, path, &c->cfg->retention_types, &c->cfg->nretention_types, s_reqtype_known,
                            "request type");
}

void
opd_cfg_per_request_type_free (char *base, const entry_t *e)
{
    opd_config_t *cfg = (opd_config_t *) (void *) base;
    for (size_t i = 0; i < cfg->nretention_types; i++)
        free (cfg->retention_types[i].category);
    free (cfg->retention_types);
}

void
opd_cfg_per_category_free (char *base, const entry_t *e)
{
    opd_config_t *cfg = (opd_config_t *) (void *) base;
    for (size_t i = 0; i < cfg->nretention_rules; i++)
        free (cfg->retention_rules[i].category);
    free (cfg->retention_rules);
}

void
opd_cfg_regex_free (char *base, const entry_t *e)
{
    opd_field_t *f = (opd_field_t *) (void *) base;
    if (f->regex)
        g_regex_unref (f->regex);
}

//  A text scalar of a K_CUSTOM row, or NULL (with an error when it is not text).
const char *
opd_cfg_custom_text (ctx_t *c, yaml_node_t *n, const char *path)
{
    if (!n)
        return NULL;
    if (n->type != YAML_SCALAR_NODE)
        return opd_cfg_fail (c, path, "must be text, not %s", opd_cfg_type_name (n)), NULL;
    return opd_cfg_text (n);
}
