/*  opd_config_walk: reading the YAML document by the table. Errors and
    node helpers, one reader per kind of row (opd_cfg_set), the formats a
    text may have to be, and the walk over a map's rows (opd_cfg_children,
    s_entry) with its lists and maps of maps. */
#include "opd_config_int.h"

//  --- errors and the YAML document -------------------------------------------

bool
opd_cfg_fail (ctx_t *c, const char *path, const char *fmt, ...)
{
    if (c->failed)
        return false;
    c->failed = true;
    char msg[400];
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (msg, sizeof msg, fmt, ap);
    va_end (ap);
    snprintf (c->err, c->errlen, "%s: %s", path && *path ? path : "(top level)", msg);
    //  Keys and values from the file are quoted in it; the error is one line
    //  of a log, so their line breaks and other control characters are not.
    for (char *p = c->err; *p; p++)
        if ((unsigned char) *p < 0x20 || *p == 0x7f)
            *p = '?';
    return false;
}

yaml_node_t *
opd_cfg_node (ctx_t *c, int index)
{
    return yaml_document_get_node (c->doc, index);
}

bool
opd_cfg_is_null (yaml_node_t *n)
{
    if (!n)
        return true;
    if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return false;
    const char *v = (const char *) n->data.scalar.value;
    return !*v || !strcmp (v, "~") || !strcmp (v, "null") || !strcmp (v, "Null")
           || !strcmp (v, "NULL");
}

const char *
opd_cfg_type_name (yaml_node_t *n)
{
    return n->type == YAML_MAPPING_NODE    ? "a map"
           : n->type == YAML_SEQUENCE_NODE ? "a list"
                                           : "a scalar";
}

const char *
opd_cfg_text (yaml_node_t *n)
{
    return (const char *) n->data.scalar.value;
}

//  The value of key in map; NULL when absent or null.
yaml_node_t *
opd_cfg_get (ctx_t *c, yaml_node_t *map, const char *key)
{
    if (!map || map->type != YAML_MAPPING_NODE)
        return NULL;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        yaml_node_t *k = opd_cfg_node (c, p->key);
        if (k && k->type == YAML_SCALAR_NODE && !strcmp (opd_cfg_text (k), key))
            return opd_cfg_is_null (opd_cfg_node (c, p->value)) ? NULL : opd_cfg_node (c, p->value);
    }
    return NULL;
}

//  n must be a map whose keys are text.
bool
opd_cfg_is_map (ctx_t *c, yaml_node_t *n, const char *path)
{
    if (!n || n->type != YAML_MAPPING_NODE)
        return opd_cfg_fail (c, path, "must be a map, not %s",
                             n ? opd_cfg_type_name (n) : "nothing");
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        yaml_node_t *k = opd_cfg_node (c, p->key);
        if (!k || k->type != YAML_SCALAR_NODE)
            return opd_cfg_fail (c, path, "keys must be text");
    }
    return true;
}

size_t
opd_cfg_seq_len (yaml_node_t *n)
{
    return n && n->type == YAML_SEQUENCE_NODE
               ? (size_t) (n->data.sequence.items.top - n->data.sequence.items.start)
               : 0;
}


void
opd_cfg_path (char *out, size_t size, const char *base, const char *key)
{
    snprintf (out, size, "%s%s%s", base, *base ? "." : "", key);
}

int
opd_cfg_str_cmp (const void *a, const void *b)
{
    return strcmp (*(char *const *) a, *(char *const *) b);
}

void
opd_cfg_free_list (char **list, size_t n)
{
    for (size_t i = 0; list && i < n; i++)
        free (list[i]);
    free (list);
}

//  --- the fields a row points at ---------------------------------------------


char **
opd_cfg_str_at (char *base, const entry_t *e)
{
    return FIELD (char *, base, e);
}

//  A list of text scalars into *out, *count.
bool
opd_cfg_strlist (ctx_t *c, yaml_node_t *n, const char *path, char ***out, size_t *count)
{
    *count = 0;
    if (!n)
        return true;
    if (n->type != YAML_SEQUENCE_NODE)
        return opd_cfg_fail (c, path, "must be a list");
    size_t len = opd_cfg_seq_len (n);
    *out = opd_calloc (len + 1, sizeof (char *));
    for (size_t i = 0; i < len; i++) {
        yaml_node_t *item = ITEM (n, i);
        if (!item || item->type != YAML_SCALAR_NODE)
            return opd_cfg_fail (c, path, "item %zu must be text", i);
        if (!opd_utf8_valid (opd_cfg_text (item), item->data.scalar.length))
            return opd_cfg_fail (c, path, "item %zu is not valid UTF-8", i);
        (*out)[(*count)++] = opd_strdup (opd_cfg_text (item));
    }
    return true;
}

bool
opd_cfg_parse_hhmm (const char *s, int *minutes, bool allow_24)
{
    if (strlen (s) != 5 || s[2] != ':')
        return false;
    for (int i = 0; i < 5; i++)
        if (i != 2 && (s[i] < '0' || s[i] > '9'))
            return false;
    int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
    if (m > 59 || h > 24 || (h == 24 && (m != 0 || !allow_24)))
        return false;
    *minutes = h * 60 + m;
    return true;
}

//  A duration in the largest unit that writes it whole ("90s", "12h").
void
opd_cfg_format_ms (char *out, size_t size, double ms)
{
    int64_t s = (int64_t) (ms / 1000);
    if (s % 3600 == 0)
        snprintf (out, size, "%lldh", (long long) (s / 3600));
    else if (s % 60 == 0)
        snprintf (out, size, "%lldm", (long long) (s / 60));
    else
        snprintf (out, size, "%llds", (long long) s);
}

//  "a, b, c or d" from "a|b|c|d".
void
opd_cfg_alternatives (char *out, size_t size, const char *values)
{
    out[0] = 0;
    const char *last = strrchr (values, '|');
    size_t len = 0;
    for (const char *p = values; *p && len + 8 < size; p++) {
        if (*p == '|')
            len += (size_t) snprintf (out + len, size - len, "%s", p == last ? " or " : ", ");
        else
            out[len++] = *p, out[len] = 0;
    }
}

//  The index of text among values ("a|b|c"), or -1.
int
opd_cfg_choice (const char *values, const char *text)
{
    size_t tlen = strlen (text);
    int i = 0;
    for (const char *p = values; p; i++) {
        const char *bar = strchr (p, '|');
        size_t len = bar ? (size_t) (bar - p) : strlen (p);
        if (len == tlen && !strncmp (p, text, len))
            return i;
        p = bar ? bar + 1 : NULL;
    }
    return -1;
}

static bool
s_set_int (ctx_t *c, const entry_t *e, char *base, const char *text, const char *path)
{
    char *end;
    errno = 0;
    long long x = strtoll (text, &end, 10);
    if (errno || end == text || *end)
        return opd_cfg_fail (c, path, "must be a whole number, not '%s'", text);
    if (x < (long long) e->min || x > (long long) e->max)
        return opd_cfg_fail (c, path, "must be between %lld and %lld", (long long) e->min,
                       (long long) e->max);
    if (e->size == sizeof (int))
        *FIELD (int, base, e) = (int) x;
    else
        *FIELD (int64_t, base, e) = x;
    return true;
}

static bool
s_set_duration (ctx_t *c, const entry_t *e, char *base, const char *text, const char *path)
{
    int64_t ms;
    char bound[32];
    if (opd_duration_parse (text, &ms))
        return opd_cfg_fail (c, path, "'%s' is not a duration (a whole number with s, m or h)",
                             text);
    if (e->min && ms < e->min)
        return opd_cfg_format_ms (bound, sizeof bound, e->min), opd_cfg_fail (c, path, "must be at least %s", bound);
    if (e->max && ms > e->max)
        return opd_cfg_format_ms (bound, sizeof bound, e->max), opd_cfg_fail (c, path, "must be at most %s", bound);
    *FIELD (int64_t, base, e) = ms;
    return true;
}

//  Sets the scalar row e of base from text (the file's, or the default).
bool
opd_cfg_set (ctx_t *c, const entry_t *e, char *base, const char *text, const char *path)
{
    char alternatives[256];
    int i;
    switch (e->kind) {
    case K_STR:
        free (*opd_cfg_str_at (base, e));
        *opd_cfg_str_at (base, e) = opd_strdup (text);
        return true;
    case K_INT:
        return s_set_int (c, e, base, text, path);
    case K_DUR:
        return s_set_duration (c, e, base, text, path);
    case K_NUM: {
        char *end;
        double x = strtod (text, &end);
        if (end == text || *end)
            return opd_cfg_fail (c, path, "must be a number, not '%s'", text);
        if (!(x > e->min && x <= e->max))
            return opd_cfg_fail (c, path, "must be above %g and at most %g", e->min, e->max);
        *FIELD (double, base, e) = x;
        return true;
    }
    case K_BOOL:
        if (!strcmp (text, "true") || !strcmp (text, "True") || !strcmp (text, "yes"))
            *FIELD (bool, base, e) = true;
        else if (!strcmp (text, "false") || !strcmp (text, "False") || !strcmp (text, "no"))
            *FIELD (bool, base, e) = false;
        else
            return opd_cfg_fail (c, path, "must be true or false");
        return true;
    case K_ENUM:
    case K_CHOICE:
        i = opd_cfg_choice (e->values, text);
        if (i < 0) {
            opd_cfg_alternatives (alternatives, sizeof alternatives, e->values);
            return opd_cfg_fail (c, path, "'%s' must be %s", text, alternatives);
        }
        if (e->kind == K_CHOICE)
            *FIELD (int, base, e) = i + (int) e->min;
        else {
            free (*opd_cfg_str_at (base, e));
            *opd_cfg_str_at (base, e) = opd_strdup (text);
        }
        return true;
    case K_HHMM:
        if (!opd_cfg_parse_hhmm (text, FIELD (int, base, e), e->max >= 1440))
            return opd_cfg_fail (c, path, "'%s' is not HH:MM", text);
        return true;
    default:
        assert (false);
        return false;
    }
}

//  --- formats: what a text value (or each item of a list of text) must be -------

static bool
s_is_email (ctx_t *c, const char *v)
{
    return opd_email_valid (v);
}

static bool
s_is_e164 (ctx_t *c, const char *v)
{
    return opd_e164_valid (v);
}

static bool
s_is_timezone (ctx_t *c, const char *tz)
{
    if (!strcmp (tz, "UTC"))
        return true;
    GTimeZone *z = *tz ? g_time_zone_new_identifier (tz) : NULL;
    if (z)
        g_time_zone_unref (z);
    return z != NULL;
}

static bool
s_is_date (ctx_t *c, const char *s)
{
    int y, m, d, n = 0;
    if (sscanf (s, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || n != 10 || strlen (s) != 10)
        return false;
    return g_date_valid_dmy ((GDateDay) d, (GDateMonth) m, (GDateYear) y);
}

static bool
s_is_ip (ctx_t *c, const char *v)
{
    unsigned char buf[16];
    return inet_pton (AF_INET, v, buf) == 1 || inet_pton (AF_INET6, v, buf) == 1;
}

static bool
s_is_host_port (ctx_t *c, const char *v)
{
    const char *colon = strrchr (v, ':');
    return colon && atoi (colon + 1) > 0 && atoi (colon + 1) <= 65535;
}

//  The name goes into IMAP commands between quotes.
static bool
s_is_folder (ctx_t *c, const char *v)
{
    return *v && !strpbrk (v, "\"\\\r\n");
}

static bool
s_is_country (ctx_t *c, const char *v)
{
    return *v && strlen (v) <= 3 && strspn (v, "0123456789") == strlen (v) && v[0] != '0';
}

//  References to what the rows above declared.
static bool
s_is_calendar (ctx_t *c, const char *v)
{
    return opd_config_calendar (c->cfg, v) != NULL;
}

static bool
s_is_team (ctx_t *c, const char *v)
{
    return opd_config_team (c->cfg, v) != NULL;
}

static bool
s_is_agent (ctx_t *c, const char *v)
{
    return opd_config_agent (c->cfg, v) != NULL;
}

static bool
s_is_category (ctx_t *c, const char *v)
{
    return opd_config_category_exists (c->cfg, v);
}

static bool
s_is_stdresp (ctx_t *c, const char *v)
{
    return opd_config_stdresp (c->cfg, v) != NULL;
}

//  Whether v starts with one of prefixes ("tcp://|ipc://").
static bool
s_has_prefix (const char *v, const char *prefixes)
{
    for (const char *p = prefixes; p; p = strchr (p, '|') ? strchr (p, '|') + 1 : NULL)
        if (!strncmp (v, p, strchr (p, '|') ? (size_t) (strchr (p, '|') - p) : strlen (p)))
            return true;
    return false;
}

static const struct {
    bool (*ok) (ctx_t *c, const char *value);  //  NULL: starts with one of prefixes
    const char *error;                         //  the value is its argument
    const char *doc;                           //  the type column of the docs
    const char *prefixes;
} s_formats[] = {
    [F_EMAIL] = {s_is_email, "'%s' is not an email address", "email address"},
    [F_E164] = {s_is_e164, "'%s' is not an E.164 number", "E.164 number"},
    [F_TZ] = {s_is_timezone, "unknown time zone '%s'", "time zone"},
    [F_DATE] = {s_is_date, "'%s' is not a date YYYY-MM-DD", "date"},
    [F_IP] = {s_is_ip, "'%s' is not an IP address", "IP address"},
    [F_ZMQ] = {NULL, "'%s' is not a tcp:// or ipc:// endpoint", "ZeroMQ endpoint", "tcp://|ipc://"},
    [F_HOST_PORT] = {s_is_host_port, "'%s' is not HOST:PORT", "HOST:PORT"},
    [F_SMTP_URL] = {NULL, "'%s' is not an smtp:// or smtps:// URL", "URL", "smtp://|smtps://"},
    [F_HTTP_URL] = {NULL, "'%s' is not an http:// or https:// URL", "URL", "http://|https://"},
    [F_IMAP_URL] = {NULL, "'%s' is not an imap:// or imaps:// URL", "URL", "imap://|imaps://"},
    [F_FOLDER] = {s_is_folder, "must not be empty or contain quotes, backslashes or line ends",
                  "IMAP folder"},
    [F_COUNTRY] = {s_is_country, "must be 1 to 3 digits, e.g. 44", "digits"},
    [F_CALENDAR] = {s_is_calendar, "unknown calendar '%s'", "calendar name"},
    [F_TEAM] = {s_is_team, "unknown team '%s'", "team id"},
    [F_AGENT] = {s_is_agent, "unknown agent '%s'", "agent id"},
    [F_CATEGORY] = {s_is_category, "unknown category '%s'", "category"},
    [F_STDRESP] = {s_is_stdresp, "unknown standard response '%s'", "standard response id"},
};

const char *
opd_cfg_format_doc (format_t f)
{
    return s_formats[f].doc;
}

static bool
s_format_ok (ctx_t *c, const char *path, format_t f, const char *value)
{
    bool ok = !f
              || (s_formats[f].ok ? s_formats[f].ok (c, value)
                                  : s_has_prefix (value, s_formats[f].prefixes));
    return ok || opd_cfg_fail (c, path, s_formats[f].error, value);
}

//  --- the walk ---------------------------------------------------------------

static bool s_entry (ctx_t *c, const entry_t *e, yaml_node_t *n, const char *path, char *base);

//  The prefix of the paths of e's children ("redis.", "teams[].",
//  "calendars.*."); "" for the top level (e NULL).
void
opd_cfg_child_prefix (char *out, size_t size, const entry_t *e)
{
    snprintf (out, size, "%s%s", e ? e->path : "",
              !e ? "" : e->kind == K_ITEMS ? "[]." : e->kind == K_MAPOF ? ".*." : ".");
}

//  The key name of row e when it is a direct child of prefix, else NULL.
const char *
opd_cfg_child_name (const entry_t *e, const char *prefix)
{
    size_t len = strlen (prefix);
    if (strncmp (e->path, prefix, len) || strpbrk (e->path + len, ".["))
        return NULL;
    return e->path + len;
}

//  One past the last row of the subtree of e (its children follow it).
const entry_t *
opd_cfg_subtree_end (const entry_t *e)
{
    char prefix[256];
    opd_cfg_child_prefix (prefix, sizeof prefix, e);
    const entry_t *end = e ? e + 1 : opd_cfg_keys;
    while (end->path && !strncmp (end->path, prefix, strlen (prefix)))
        end++;
    return end;
}

//  Every key of map must be a child of parent (NULL: the top level).
bool
opd_cfg_known_keys (ctx_t *c, const entry_t *parent, yaml_node_t *map, const char *path)
{
    if (!opd_cfg_is_map (c, map, path))
        return false;
    char prefix[256];
    opd_cfg_child_prefix (prefix, sizeof prefix, parent);
    const entry_t *end = opd_cfg_subtree_end (parent);
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        const char *key = opd_cfg_text (opd_cfg_node (c, p->key));
        const entry_t *e = parent ? parent + 1 : opd_cfg_keys;
        for (; e < end; e++) {
            const char *name = opd_cfg_child_name (e, prefix);
            if (name && !strcmp (name, key))
                break;
        }
        if (e == end) {
            char sub[512];
            opd_cfg_path (sub, sizeof sub, path, key);
            return opd_cfg_fail (c, sub, "unknown key");
        }
    }
    return true;
}

//  Reads the children of parent (NULL: the top level) from map (NULL when
//  the map is absent: defaults only) into base, in the table's order.
bool
opd_cfg_children (ctx_t *c, const entry_t *parent, yaml_node_t *map, const char *path, char *base)
{
    if (map && !opd_cfg_known_keys (c, parent, map, path))
        return false;
    char prefix[256], sub[512];
    opd_cfg_child_prefix (prefix, sizeof prefix, parent);
    const entry_t *end = opd_cfg_subtree_end (parent);
    for (const entry_t *e = parent ? parent + 1 : opd_cfg_keys; e < end; e++) {
        const char *name = opd_cfg_child_name (e, prefix);
        if (!name)
            continue;
        opd_cfg_path (sub, sizeof sub, path, name);
        c->in_map = map != NULL;
        if (!s_entry (c, e, opd_cfg_get (c, map, name), sub, base))
            return false;
    }
    return true;
}

//  A list of maps: one item of e->size bytes each, read by e's children.
static bool
s_items (ctx_t *c, const entry_t *e, yaml_node_t *n, const char *path, char *base)
{
    if (!n)
        return true;
    if (n->type != YAML_SEQUENCE_NODE)
        return opd_cfg_fail (c, path, "must be a list");
    size_t len = opd_cfg_seq_len (n);
    char *items = opd_calloc (len + 1, e->size), sub[512];
    *FIELD (char *, base, e) = items;
    for (size_t i = 0; i < len; i++) {
        char *item = items + i * e->size;
        snprintf (sub, sizeof sub, "%s[%zu]", path, i);
        (*COUNT (base, e))++;
        if (!opd_cfg_is_map (c, ITEM (n, i), sub)
            || !opd_cfg_children (c, e, ITEM (n, i), sub, item)
            || (e->check && !e->check (c, sub, item, e)))
            return false;
    }
    return true;
}

//  A map of maps by name: as s_items, the name into the item.
static bool
s_map_of (ctx_t *c, const entry_t *e, yaml_node_t *n, const char *path, char *base)
{
    if (!n)
        return true;
    if (!opd_cfg_is_map (c, n, path))
        return false;
    size_t len = (size_t) (n->data.mapping.pairs.top - n->data.mapping.pairs.start);
    char *items = opd_calloc (len + 1, e->size), sub[512];
    *FIELD (char *, base, e) = items;
    for (size_t i = 0; i < len; i++) {
        yaml_node_pair_t *p = &n->data.mapping.pairs.start[i];
        char *item = items + i * e->size;
        const char *name = opd_cfg_text (opd_cfg_node (c, p->key));
        *(char **) (void *) (item + e->id_off) = opd_strdup (name);
        (*COUNT (base, e))++;
        opd_cfg_path (sub, sizeof sub, path, name);
        if (!opd_cfg_is_map (c, opd_cfg_node (c, p->value), sub)
            || !opd_cfg_children (c, e, opd_cfg_node (c, p->value), sub, item)
            || (e->check && !e->check (c, sub, item, e)))
            return false;
    }
    return true;
}

//  A list of names among e->values into consecutive bools (shifts[].days,
//  routing_rules[].when.in); an empty list is "is required", or all of them
//  with a default.
_Static_assert (offsetof (opd_rule_t, in_body) == offsetof (opd_rule_t, in_subject) + 1,
                "routing_rules[].when.in sets in_subject and in_body as bool[2]");

static bool
s_flags (ctx_t *c, const entry_t *e, yaml_node_t *n, const char *path, char *base)
{
    char **names = NULL, alternatives[256];
    size_t count = 0;
    bool *flags = FIELD (bool, base, e), ok = opd_cfg_strlist (c, n, path, &names, &count);
    for (size_t i = 0; ok && i < count; i++) {
        int f = opd_cfg_choice (e->values, names[i]);
        if (f >= 0)
            flags[f] = true;
        else {
            opd_cfg_alternatives (alternatives, sizeof alternatives, e->values);
            ok = opd_cfg_fail (c, path, "'%s' must be %s", names[i], alternatives);
        }
    }
    if (ok && !count && (e->flags & REQUIRED) && c->in_map)
        ok = opd_cfg_fail (c, path, "is required");
    //  The default is every value.
    for (const char *v = e->values; ok && !count && e->def && v; v = strchr (v, '|'), v = v ? v + 1 : v)
        *flags++ = true;
    opd_cfg_free_list (names, count);
    return ok;
}

static const char *const s_must_be[] = {
    [K_STR] = "must be text", [K_INT] = "must be a whole number", [K_DUR] = "must be a duration",
    [K_NUM] = "must be a number", [K_BOOL] = "must be true or false",
    [K_ENUM] = "must be text", [K_CHOICE] = "must be text", [K_HHMM] = "must be HH:MM",
};

//  Reads row e from n (NULL when absent) at path into base.
static bool
s_entry (ctx_t *c, const entry_t *e, yaml_node_t *n, const char *path, char *base)
{
    bool required = (e->flags & REQUIRED) && c->in_map;
    if (!n && required && e->kind != K_CUSTOM && e->kind != K_LIST && e->kind != K_FLAGS)
        return opd_cfg_fail (c, path, "is required");
    switch (e->kind) {
    case K_SECTION:
        if (n && !opd_cfg_is_map (c, n, path))
            return false;
        return opd_cfg_children (c, e, n, path, base) && (!e->check || e->check (c, path, base, e));
    case K_ITEMS:
        return s_items (c, e, n, path, base);
    case K_MAPOF:
        return s_map_of (c, e, n, path, base);
    case K_CUSTOM:
        return e->parse (c, n, path, base, e);
    case K_FLAGS:
        return s_flags (c, e, n, path, base);
    case K_LIST:
        //  The check runs when the list is absent too ("needs at least one").
        if (!opd_cfg_strlist (c, n, path, FIELD (char **, base, e), COUNT (base, e)))
            return false;
        for (size_t i = 0; i < *COUNT (base, e); i++)
            if (!s_format_ok (c, path, e->is, (*FIELD (char **, base, e))[i]))
                return false;
        return !e->check || (!n && !c->in_map) || e->check (c, path, base, e);
    default:
        break;
    }
    const char *text = e->def;
    if (n) {
        if (n->type != YAML_SCALAR_NODE)
            return opd_cfg_fail (c, path, "%s, not %s", s_must_be[e->kind], opd_cfg_type_name (n));
        if (!opd_utf8_valid (opd_cfg_text (n), n->data.scalar.length)
            || strlen (opd_cfg_text (n)) != n->data.scalar.length)
            return opd_cfg_fail (c, path, "is not valid UTF-8 text");
        text = opd_cfg_text (n);
    }
    if (!text)
        return true;
    return opd_cfg_set (c, e, base, text, path)
           && (e->kind != K_STR || s_format_ok (c, path, e->is, *opd_cfg_str_at (base, e)))
           && (!e->check || e->check (c, path, base, e));
}
