/*  opd_config: loads the YAML file with libyaml's document API, then walks it
    with one validating function per section. Every error names the key by its
    dotted path. Unknown keys are errors: a typo must not silently fall back
    to a default. */
#include "opd_config.h"
#include "opd_log.h"
#include "opd_report.h"
#include "opd_util.h"
#include <errno.h>
#include <glib.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <yaml.h>
#include <unistd.h>

#define MAX_FILE_BYTES (4 * 1024 * 1024)
//  Bounds of a document with its aliases expanded (see s_measure): YAML
//  aliases let a 1 KB file name 10^9 nodes, which the walk below would visit
//  one by one. A real configuration is far below these.
#define MAX_NODES 100000
#define MAX_TEXT_BYTES (16 * 1024 * 1024)
#define MAX_DEPTH 64

typedef struct {
    yaml_document_t *doc;
    opd_config_t *cfg;
    char *err;
    size_t errlen;
    bool failed;
    bool password_from_file;  //  redis.password came from redis.password_file
    bool demo_given;          //  the file says demo: true or false
} ctx_t;

static const char *s_days[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

static bool
s_fail (ctx_t *c, const char *path, const char *fmt, ...)
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

static yaml_node_t *
s_node (ctx_t *c, int index)
{
    return yaml_document_get_node (c->doc, index);
}

static bool
s_is_null (yaml_node_t *n)
{
    if (!n)
        return true;
    if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return false;
    const char *v = (const char *) n->data.scalar.value;
    return !*v || !strcmp (v, "~") || !strcmp (v, "null") || !strcmp (v, "Null")
           || !strcmp (v, "NULL");
}

static const char *
s_type_name (yaml_node_t *n)
{
    return n->type == YAML_MAPPING_NODE    ? "a map"
           : n->type == YAML_SEQUENCE_NODE ? "a list"
                                           : "a scalar";
}

//  Checks that map is a mapping whose keys are all in allowed (NULL-terminated).
static bool
s_check_map (ctx_t *c, yaml_node_t *map, const char *path, const char *const *allowed)
{
    if (!map || map->type != YAML_MAPPING_NODE)
        return s_fail (c, path, "must be a map, not %s", map ? s_type_name (map) : "nothing");
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        yaml_node_t *k = s_node (c, p->key);
        //  Checked even without allowed: callers read the keys as text.
        if (!k || k->type != YAML_SCALAR_NODE)
            return s_fail (c, path, "keys must be text");
        if (!allowed)
            continue;
        bool known = false;
        for (const char *const *a = allowed; *a; a++)
            if (!strcmp (*a, (const char *) k->data.scalar.value))
                known = true;
        if (!known) {
            char sub[512];
            snprintf (sub, sizeof sub, "%s%s%s", path, *path ? "." : "", k->data.scalar.value);
            return s_fail (c, sub, "unknown key");
        }
    }
    return true;
}

static yaml_node_t *
s_get (ctx_t *c, yaml_node_t *map, const char *key)
{
    if (!map || map->type != YAML_MAPPING_NODE)
        return NULL;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        yaml_node_t *k = s_node (c, p->key);
        if (k && k->type == YAML_SCALAR_NODE && !strcmp ((const char *) k->data.scalar.value, key))
            return s_is_null (s_node (c, p->value)) ? NULL : s_node (c, p->value);
    }
    return NULL;
}

static void
s_path (char *out, size_t size, const char *base, const char *key)
{
    snprintf (out, size, "%s%s%s", base, *base ? "." : "", key);
}

//  Text scalar at map[key] into *out (newly allocated). required: error when absent.
static bool
s_str (ctx_t *c, yaml_node_t *map, const char *base, const char *key, bool required, char **out)
{
    char path[512];
    s_path (path, sizeof path, base, key);
    yaml_node_t *n = s_get (c, map, key);
    if (!n) {
        if (required)
            return s_fail (c, path, "is required");
        return true;
    }
    if (n->type != YAML_SCALAR_NODE)
        return s_fail (c, path, "must be text, not %s", s_type_name (n));
    if (!opd_utf8_valid ((const char *) n->data.scalar.value, n->data.scalar.length)
        || strlen ((const char *) n->data.scalar.value) != n->data.scalar.length)
        return s_fail (c, path, "is not valid UTF-8 text");
    free (*out);
    *out = opd_strdup ((const char *) n->data.scalar.value);
    return true;
}

static bool
s_int (ctx_t *c, yaml_node_t *map, const char *base, const char *key, int64_t min, int64_t max,
       int64_t *out)
{
    char path[512];
    s_path (path, sizeof path, base, key);
    yaml_node_t *n = s_get (c, map, key);
    if (!n)
        return true;
    if (n->type != YAML_SCALAR_NODE)
        return s_fail (c, path, "must be a whole number");
    const char *v = (const char *) n->data.scalar.value;
    char *end;
    errno = 0;
    long long x = strtoll (v, &end, 10);
    if (errno || end == v || *end)
        return s_fail (c, path, "must be a whole number, not '%s'", v);
    if (x < min || x > max)
        return s_fail (c, path, "must be between %lld and %lld", (long long) min, (long long) max);
    *out = x;
    return true;
}

static bool
s_num (ctx_t *c, yaml_node_t *map, const char *base, const char *key, double min, double max,
       double *out)
{
    char path[512];
    s_path (path, sizeof path, base, key);
    yaml_node_t *n = s_get (c, map, key);
    if (!n)
        return true;
    if (n->type != YAML_SCALAR_NODE)
        return s_fail (c, path, "must be a number");
    const char *v = (const char *) n->data.scalar.value;
    char *end;
    double x = strtod (v, &end);
    if (end == v || *end)
        return s_fail (c, path, "must be a number, not '%s'", v);
    if (!(x > min && x <= max))
        return s_fail (c, path, "must be above %g and at most %g", min, max);
    *out = x;
    return true;
}

static bool
s_bool (ctx_t *c, yaml_node_t *map, const char *base, const char *key, bool *out)
{
    char path[512];
    s_path (path, sizeof path, base, key);
    yaml_node_t *n = s_get (c, map, key);
    if (!n)
        return true;
    const char *v = n->type == YAML_SCALAR_NODE ? (const char *) n->data.scalar.value : "";
    if (!strcmp (v, "true") || !strcmp (v, "True") || !strcmp (v, "yes"))
        *out = true;
    else if (!strcmp (v, "false") || !strcmp (v, "False") || !strcmp (v, "no"))
        *out = false;
    else
        return s_fail (c, path, "must be true or false");
    return true;
}

//  A list of text scalars.
static bool
s_strlist (ctx_t *c, yaml_node_t *n, const char *path, char ***out, size_t *count)
{
    if (!n) {
        *count = 0;
        return true;
    }
    if (n->type != YAML_SEQUENCE_NODE)
        return s_fail (c, path, "must be a list");
    size_t len = (size_t) (n->data.sequence.items.top - n->data.sequence.items.start);
    *out = opd_calloc (len + 1, sizeof (char *));
    *count = 0;
    for (size_t i = 0; i < len; i++) {
        yaml_node_t *item = s_node (c, n->data.sequence.items.start[i]);
        if (!item || item->type != YAML_SCALAR_NODE)
            return s_fail (c, path, "item %zu must be text", i);
        if (!opd_utf8_valid ((const char *) item->data.scalar.value, item->data.scalar.length))
            return s_fail (c, path, "item %zu is not valid UTF-8", i);
        (*out)[(*count)++] = opd_strdup ((const char *) item->data.scalar.value);
    }
    return true;
}

static size_t
s_seq_len (yaml_node_t *n)
{
    return n && n->type == YAML_SEQUENCE_NODE
               ? (size_t) (n->data.sequence.items.top - n->data.sequence.items.start)
               : 0;
}

static bool
s_parse_hhmm (const char *s, int *minutes, bool allow_24)
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

static bool
s_valid_timezone (const char *tz)
{
    if (!tz || !*tz)
        return false;
    if (!strcmp (tz, "UTC"))
        return true;
    GTimeZone *z = g_time_zone_new_identifier (tz);
    if (!z)
        return false;
    g_time_zone_unref (z);
    return true;
}

static bool
s_valid_date (const char *s)
{
    int y, m, d, n = 0;
    if (sscanf (s, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || n != 10 || strlen (s) != 10)
        return false;
    return g_date_valid_dmy ((GDateDay) d, (GDateMonth) m, (GDateYear) y);
}

static int
s_span_cmp (const void *a, const void *b)
{
    return ((const opd_span_t *) a)->from - ((const opd_span_t *) b)->from;
}

static int
s_str_cmp (const void *a, const void *b)
{
    return strcmp (*(char *const *) a, *(char *const *) b);
}

static bool
s_calendar (ctx_t *c, yaml_node_t *key, yaml_node_t *n, opd_calendar_t *cal)
{
    char path[512], sub[512];
    cal->id = opd_strdup ((const char *) key->data.scalar.value);
    snprintf (path, sizeof path, "calendars.%s", cal->id);
    static const char *const keys[] = {"timezone", "hours", "holidays", NULL};
    if (!s_check_map (c, n, path, keys) || !s_str (c, n, path, "timezone", false, &cal->timezone))
        return false;
    if (!cal->timezone)
        cal->timezone = opd_strdup ("UTC");
    s_path (sub, sizeof sub, path, "timezone");
    if (!s_valid_timezone (cal->timezone))
        return s_fail (c, sub, "unknown time zone '%s'", cal->timezone);
    yaml_node_t *hours = s_get (c, n, "hours");
    s_path (sub, sizeof sub, path, "hours");
    if (!hours)
        return s_fail (c, sub, "is required ('24x7' or a map of days)");
    if (hours->type == YAML_SCALAR_NODE) {
        if (strcmp ((const char *) hours->data.scalar.value, "24x7"))
            return s_fail (c, sub, "must be '24x7' or a map of days");
        cal->always = true;
    }
    else {
        static const char *const days[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun", NULL};
        if (!s_check_map (c, hours, sub, days))
            return false;
        for (int d = 0; d < 7; d++) {
            char dpath[512];
            s_path (dpath, sizeof dpath, sub, s_days[d]);
            char **spans = NULL;
            size_t nspans = 0;
            bool ok = s_strlist (c, s_get (c, hours, s_days[d]), dpath, &spans, &nspans);
            cal->hours[d] = opd_calloc (nspans + 1, sizeof (opd_span_t));
            for (size_t i = 0; ok && i < nspans; i++) {
                char from[8] = "", to[8] = "";
                const char *dash = strchr (spans[i], '-');
                if (!dash || dash - spans[i] > 5 || strlen (dash + 1) > 5) {
                    ok = s_fail (c, dpath, "'%s' is not HH:MM-HH:MM", spans[i]);
                    break;
                }
                memcpy (from, spans[i], (size_t) (dash - spans[i]));
                strcpy (to, dash + 1);
                opd_span_t *s = &cal->hours[d][cal->nhours[d]];
                if (!s_parse_hhmm (from, &s->from, false) || !s_parse_hhmm (to, &s->to, true))
                    ok = s_fail (c, dpath, "'%s' is not HH:MM-HH:MM", spans[i]);
                else if (s->to <= s->from)
                    ok = s_fail (c, dpath, "'%s' ends before it starts", spans[i]);
                else
                    cal->nhours[d]++;
            }
            for (size_t i = 0; i < nspans; i++)
                free (spans[i]);
            free (spans);
            if (!ok)
                return false;
            qsort (cal->hours[d], cal->nhours[d], sizeof (opd_span_t), s_span_cmp);
            for (size_t i = 1; i < cal->nhours[d]; i++)
                if (cal->hours[d][i].from < cal->hours[d][i - 1].to)
                    return s_fail (c, dpath, "intervals overlap");
        }
    }
    s_path (sub, sizeof sub, path, "holidays");
    if (!s_strlist (c, s_get (c, n, "holidays"), sub, &cal->holidays, &cal->nholidays))
        return false;
    for (size_t i = 0; i < cal->nholidays; i++)
        if (!s_valid_date (cal->holidays[i]))
            return s_fail (c, sub, "'%s' is not a date YYYY-MM-DD", cal->holidays[i]);
    if (cal->nholidays)
        qsort (cal->holidays, cal->nholidays, sizeof (char *), s_str_cmp);
    return true;
}

static bool
s_priority_valid (const char *p)
{
    return opd_priority_rank (p) > 0;
}

static bool
s_kind_valid (const char *k)
{
    return !strcmp (k, "incident") || !strcmp (k, "service_request");
}

//  Collects every path of the taxonomy into cfg->categories.
static bool
s_categories (ctx_t *c, yaml_node_t *n, const char *prefix, const char *path, int depth)
{
    if (depth > 16)
        return s_fail (c, path, "is nested too deeply");
    if (!n)
        return true;
    if (n->type == YAML_SEQUENCE_NODE) {
        //  A list of leaf names is accepted too: [laptop, printer].
        for (size_t i = 0; i < s_seq_len (n); i++) {
            yaml_node_t *item = s_node (c, n->data.sequence.items.start[i]);
            if (!item || item->type != YAML_SCALAR_NODE)
                return s_fail (c, path, "items must be names");
            const char *name = (const char *) item->data.scalar.value;
            if (!*name || strchr (name, '/'))
                return s_fail (c, path, "'%s' is not a category name", name);
            char *full = *prefix ? opd_sprintf ("%s/%s", prefix, name) : opd_strdup (name);
            c->cfg->categories = realloc (c->cfg->categories,
                                          (c->cfg->ncategories + 1) * sizeof (char *));
            c->cfg->categories[c->cfg->ncategories++] = full;
        }
        return true;
    }
    if (n->type != YAML_MAPPING_NODE)
        return s_fail (c, path, "must be a map of categories");
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        yaml_node_t *k = s_node (c, p->key);
        if (!k || k->type != YAML_SCALAR_NODE)
            return s_fail (c, path, "keys must be text");
        const char *name = (const char *) k->data.scalar.value;
        char sub[512];
        s_path (sub, sizeof sub, path, name);
        if (!*name || strchr (name, '/') || strlen (name) > 64)
            return s_fail (c, sub, "is not a category name");
        char *full = *prefix ? opd_sprintf ("%s/%s", prefix, name) : opd_strdup (name);
        c->cfg->categories = realloc (c->cfg->categories,
                                      (c->cfg->ncategories + 1) * sizeof (char *));
        c->cfg->categories[c->cfg->ncategories++] = full;
        yaml_node_t *child = s_node (c, p->value);
        if (!s_is_null (child) && !s_categories (c, child, full, sub, depth + 1))
            return false;
    }
    return true;
}

static bool
s_policy (ctx_t *c, yaml_node_t *n, const char *path, opd_policy_t *p)
{
    static const char *const keys[] = {"name", "match", "calendar", "first_response",
                                       "next_reply", "resolution", "warn_at", "objective", NULL};
    static const char *const mkeys[] = {"priority", "kind", "category", "team",
                                        "channel", "request_type", NULL};
    char sub[512];
    if (!s_check_map (c, n, path, keys) || !s_str (c, n, path, "name", true, &p->name)
        || !s_str (c, n, path, "calendar", true, &p->calendar))
        return false;
    yaml_node_t *m = s_get (c, n, "match");
    s_path (sub, sizeof sub, path, "match");
    if (m
        && (!s_check_map (c, m, sub, mkeys) || !s_str (c, m, sub, "priority", false, &p->match.priority)
            || !s_str (c, m, sub, "kind", false, &p->match.kind)
            || !s_str (c, m, sub, "category", false, &p->match.category)
            || !s_str (c, m, sub, "team", false, &p->match.team)
            || !s_str (c, m, sub, "channel", false, &p->match.channel)
            || !s_str (c, m, sub, "request_type", false, &p->match.request_type)))
        return false;
    const char *names[3] = {"first_response", "next_reply", "resolution"};
    int64_t *targets[3] = {&p->first_response, &p->next_reply, &p->resolution};
    for (int i = 0; i < 3; i++) {
        char *text = NULL;
        if (!s_str (c, n, path, names[i], false, &text))
            return false;
        s_path (sub, sizeof sub, path, names[i]);
        if (text && opd_duration_parse (text, targets[i])) {
            s_fail (c, sub, "'%s' is not a duration (a whole number with s, m or h)", text);
            free (text);
            return false;
        }
        free (text);
    }
    p->warn_at = 0.75;
    return s_num (c, n, path, "warn_at", 0, 0.9999, &p->warn_at)
           && s_num (c, n, path, "objective", 0, 1, &p->objective);
}

static bool
s_field (ctx_t *c, yaml_node_t *n, const char *path, opd_field_t *f)
{
    static const char *const keys[] = {"name", "label", "type", "required", "pattern",
                                       "values", "pii", "max_length", NULL};
    static const char *const types[] = {"string", "enum", "email", "number",
                                        "integer", "boolean", "date", "phone", NULL};
    char *type = NULL, sub[512];
    if (!s_check_map (c, n, path, keys) || !s_str (c, n, path, "name", true, &f->name)
        || !s_str (c, n, path, "label", false, &f->label)
        || !s_str (c, n, path, "type", true, &type)
        || !s_bool (c, n, path, "required", &f->required) || !s_bool (c, n, path, "pii", &f->pii)
        || !s_str (c, n, path, "pattern", false, &f->pattern)) {
        free (type);
        return false;
    }
    int t = -1;
    for (int i = 0; types[i]; i++)
        if (!strcmp (types[i], type))
            t = i;
    s_path (sub, sizeof sub, path, "type");
    if (t < 0) {
        s_fail (c, sub, "'%s' is not one of string, enum, email, number, integer, boolean, date, phone",
                type);
        free (type);
        return false;
    }
    free (type);
    f->type = (opd_field_type_t) t;
    f->max_length = 10000;
    if (!s_int (c, n, path, "max_length", 1, 1048576, &f->max_length))
        return false;
    s_path (sub, sizeof sub, path, "values");
    if (!s_strlist (c, s_get (c, n, "values"), sub, &f->values, &f->nvalues))
        return false;
    if (f->type == OPD_FIELD_ENUM && f->nvalues == 0)
        return s_fail (c, sub, "an enum field needs values");
    for (const char *p = f->name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')
              || *p == '_' || *p == '-'))
            return s_fail (c, path, "field name '%s' may hold only letters, digits, _ and -",
                           f->name);
    if (f->pattern) {
        GError *gerr = NULL;
        f->regex = g_regex_new (f->pattern, G_REGEX_OPTIMIZE, 0, &gerr);
        if (!f->regex) {
            s_path (sub, sizeof sub, path, "pattern");
            s_fail (c, sub, "is not a valid regular expression: %s", gerr->message);
            g_error_free (gerr);
            return false;
        }
    }
    return true;
}

//  The name of this program without "opdesk-" ("router"; "cli" for the
//  command-line tool opdesk): {service} in redis.username and
//  redis.password_file.
static const char *
s_service_name (void)
{
    const char *name = program_invocation_short_name;
    if (!strcmp (name, "opdesk"))
        return "cli";
    return !strncmp (name, "opdesk-", 7) && name[7] ? name + 7 : name;
}

//  text with every {service} replaced by the service name; the caller frees it.
static char *
s_expand_service (const char *text)
{
    GString *out = g_string_new (NULL);
    for (const char *p = text; *p;) {
        if (!strncmp (p, "{service}", 9)) {
            g_string_append (out, s_service_name ());
            p += 9;
        }
        else
            g_string_append_c (out, *p++);
    }
    return g_string_free (out, FALSE);
}

//  redis.username and redis.password_file: the password is read from the
//  file now, without the blanks around it. Errors name the file, never
//  what it holds.
static bool
s_redis_credentials (ctx_t *c, const char *password_file)
{
    opd_config_t *cfg = c->cfg;
    if (cfg->redis_username) {
        char *name = s_expand_service (cfg->redis_username);
        free (cfg->redis_username);
        cfg->redis_username = name;
        if (!*name || strpbrk (name, " \t\r\n"))
            return s_fail (c, "redis.username", "must be a name without blanks");
    }
    if (!password_file) {
        if (cfg->redis_username && !cfg->redis_password)
            return s_fail (c, "redis.username", "needs redis.password_file (or redis.password)");
        return true;
    }
    if (cfg->redis_password)
        return s_fail (c, "redis.password_file",
                       "give redis.password or redis.password_file, not both");
    char *path = s_expand_service (password_file);
    //  Non-blocking, and a regular file only: a FIFO or a device must not
    //  hang the loader (a reload runs in the service's loop).
    int fd = open (path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    char buf[1024];
    ssize_t len = -1;
    if (fd >= 0 && fstat (fd, &st) == 0 && !S_ISREG (st.st_mode)) {
        close (fd);
        s_fail (c, "redis.password_file", "%s is not a regular file", path);
        free (path);
        return false;
    }
    if (fd >= 0)
        len = read (fd, buf, sizeof buf - 1);
    int saved = errno;
    if (fd >= 0)
        close (fd);
    if (len < 0) {
        s_fail (c, "redis.password_file", "cannot read %s: %s", path, strerror (saved));
        free (path);
        return false;
    }
    buf[len] = 0;
    char *start = buf, *end = buf + len;
    while (*start == ' ' || *start == '\t' || *start == '\r' || *start == '\n')
        start++;
    while (end > start && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r' || end[-1] == '\n'))
        *--end = 0;
    bool ok = true;
    if (!*start)
        ok = s_fail (c, "redis.password_file", "%s is empty", path);
    else if (strlen (start) != (size_t) (end - start) || strpbrk (start, "\r\n"))
        ok = s_fail (c, "redis.password_file", "%s must hold the password on one line", path);
    else {
        cfg->redis_password = opd_strdup (start);
        c->password_from_file = true;
    }
    explicit_bzero (buf, sizeof buf);
    free (path);
    return ok;
}

//  A secret still a placeholder of the shipped files ("change-me-agent").
static bool
s_placeholder (const char *secret)
{
    char *lower = g_ascii_strdown (secret, -1);
    bool is = strstr (lower, "change-me") || strstr (lower, "changeme");
    g_free (lower);
    return is;
}

#define MIN_SECRET_CHARS 16

//  One secret outside the demo: not a placeholder, and when opdesk checks it
//  itself (checked_length), at least MIN_SECRET_CHARS long. NULL: not set.
static bool
s_real_secret (ctx_t *c, const char *path, const char *secret, bool checked_length)
{
    if (secret && s_placeholder (secret))
        return s_fail (c, path,
                       "is still a change-me placeholder; set a secret of at least %d characters "
                       "(only a demo on loopback may keep it)",
                       MIN_SECRET_CHARS);
    if (secret && checked_length && strlen (secret) < MIN_SECRET_CHARS)
        return s_fail (c, path,
                       "is shorter than %d characters (only a demo on loopback may have a "
                       "shorter one)",
                       MIN_SECRET_CHARS);
    return true;
}

//  Whether addr (a host, HOST:PORT, or a tcp:// or ipc:// endpoint) stays
//  on this machine.
static bool
s_loopback (const char *addr)
{
    if (!strncmp (addr, "ipc://", 6))
        return true;
    if (!strncmp (addr, "tcp://", 6))
        addr += 6;
    return !strncmp (addr, "127.", 4) || !strncmp (addr, "localhost", 9)
           || !strncmp (addr, "[::1]", 5) || !strcmp (addr, "::1");
}

//  Outside the demo, every secret must be a real one: not a change-me
//  placeholder, and the ones opdesk checks (tokens, webhook and phone
//  secrets) at least MIN_SECRET_CHARS long; passwords of other systems only
//  must not be placeholders. demo: true is refused unless everything listens
//  and connects on loopback; without a demo key, a configuration on loopback
//  is a demo (so that the example of CONTRACT.md section 6 keeps working)
//  and any other is not. Errors name the key, never the secret.
static bool
s_check_secrets (ctx_t *c)
{
    opd_config_t *cfg = c->cfg;
    const char *names[] = {"redis.host", "endpoints.intake", "endpoints.events",
                           "endpoints.http", "endpoints.phone"};
    const char *values[] = {cfg->redis_host, cfg->ep_intake, cfg->ep_events, cfg->ep_http,
                            cfg->ep_phone};
    const char *exposed = NULL;
    for (int i = 0; i < 5 && !exposed; i++)
        if (!s_loopback (values[i]))
            exposed = names[i];
    if (cfg->demo && exposed)
        return s_fail (c, "demo",
                       "a demo configuration runs on loopback only, and %s is not "
                       "(remove demo: true and set real secrets to listen elsewhere)",
                       exposed);
    if (!c->demo_given)
        cfg->demo = !exposed;
    if (cfg->demo)
        return true;
    char path[128];
    bool ok = s_real_secret (c, c->password_from_file ? "redis.password_file" : "redis.password",
                             cfg->redis_password, false)
              && s_real_secret (c, "notifications.smtp.password", cfg->smtp_password, false);
    for (size_t i = 0; ok && i < cfg->nwebhooks; i++) {
        snprintf (path, sizeof path, "notifications.webhooks[%zu].secret", i);
        ok = s_real_secret (c, path, cfg->webhooks[i].secret, true);
    }
    for (size_t i = 0; ok && i < cfg->ntokens; i++) {
        snprintf (path, sizeof path, "tokens[%zu].token", i);
        ok = cfg->tokens[i].hashed || s_real_secret (c, path, cfg->tokens[i].token, true);
    }
    ok = ok && s_real_secret (c, "channels.phone.secret", cfg->phone_secret, true);
    for (size_t i = 0; ok && i < cfg->nimap; i++) {
        snprintf (path, sizeof path, "channels.email.imap[%zu].password", i);
        ok = s_real_secret (c, path, cfg->imap[i].password, false);
    }
    return ok;
}

static const char *
s_top_keys[] = {"ticket_prefix", "log_level", "demo", "redis", "endpoints", "events", "calendars",
                "slo_policies", "priority_matrix", "default_priority", "categories", "teams",
                "default_team", "agents", "shifts", "routing_rules", "standard_responses",
                "footer", "request_types", "retention", "notifications", "limits", "tokens", "channels",
                "workflow", "slo_burn", "curve", "coverage", NULL};

static bool
s_list_of_maps (ctx_t *c, yaml_node_t *n, const char *path)
{
    if (n && n->type != YAML_SEQUENCE_NODE)
        return s_fail (c, path, "must be a list");
    return true;
}

#define ITEM(n, i) s_node (c, (n)->data.sequence.items.start[i])

//  A duration at map[key] ("5m", "672h") into *out, kept when absent.
static bool
s_duration (ctx_t *c, yaml_node_t *map, const char *base, const char *key, int64_t *out)
{
    char path[512], *text = NULL;
    s_path (path, sizeof path, base, key);
    if (!s_str (c, map, base, key, false, &text))
        return false;
    bool bad = text && opd_duration_parse (text, out);
    if (bad)
        s_fail (c, path, "'%s' is not a duration (a whole number with s, m or h)", text);
    free (text);
    return !bad;
}

//  slo_burn: the rolling window of error budgets and the two burn-rate
//  alerts. Every key is optional; the defaults are those of opd_report.h.
//  The window cannot exceed what the finished clocks are kept for
//  (OPD_SLO_DONE_KEEP_MS), each long window not the rolling window, and each
//  short window must be shorter than its long one (it confirms the burn is
//  still going on).
static bool
s_slo_burn (ctx_t *c, yaml_node_t *n)
{
    opd_config_t *cfg = c->cfg;
    static const char *const keys[] = {"window", "fast", "slow", NULL};
    static const char *const akeys[] = {"long", "short", "threshold", NULL};
    cfg->burn_window_ms = OPD_SLO_WINDOW_MS;
    cfg->burn_fast = (opd_burn_alert_t) {OPD_BURN_FAST_LONG_MS, OPD_BURN_FAST_SHORT_MS, OPD_BURN_FAST_THRESHOLD};
    cfg->burn_slow = (opd_burn_alert_t) {OPD_BURN_SLOW_LONG_MS, OPD_BURN_SLOW_SHORT_MS, OPD_BURN_SLOW_THRESHOLD};
    if (!n)
        return true;
    if (!s_check_map (c, n, "slo_burn", keys) || !s_duration (c, n, "slo_burn", "window", &cfg->burn_window_ms))
        return false;
    if (cfg->burn_window_ms > OPD_SLO_DONE_KEEP_MS)
        return s_fail (c, "slo_burn.window", "must be at most %lldh (finished clocks are kept 35 days)",
                       (long long) (OPD_SLO_DONE_KEEP_MS / 3600000));
    const char *names[2] = {"fast", "slow"};
    opd_burn_alert_t *alerts[2] = {&cfg->burn_fast, &cfg->burn_slow};
    for (int i = 0; i < 2; i++) {
        char path[512], sub[512];
        s_path (path, sizeof path, "slo_burn", names[i]);
        yaml_node_t *a = s_get (c, n, names[i]);
        if (!a)
            continue;
        if (!s_check_map (c, a, path, akeys) || !s_duration (c, a, path, "long", &alerts[i]->long_ms)
            || !s_duration (c, a, path, "short", &alerts[i]->short_ms)
            || !s_num (c, a, path, "threshold", 0, 1000, &alerts[i]->threshold))
            return false;
        s_path (sub, sizeof sub, path, "long");
        if (alerts[i]->long_ms > cfg->burn_window_ms)
            return s_fail (c, sub, "must not be longer than slo_burn.window");
        s_path (sub, sizeof sub, path, "short");
        if (alerts[i]->short_ms >= alerts[i]->long_ms)
            return s_fail (c, sub, "must be shorter than %s.long", path);
    }
    return true;
}

//  channels.email.quarantine: {after: N, folder: NAME}.
static bool
s_email_quarantine (ctx_t *c, yaml_node_t *q)
{
    static const char *const keys[] = {"after", "folder", NULL};
    opd_config_t *cfg = c->cfg;
    if (!q)
        return true;
    int64_t v = cfg->email_max_failures;
    char *folder = NULL;
    if (!s_check_map (c, q, "channels.email.quarantine", keys)
        || !s_int (c, q, "channels.email.quarantine", "after", 1, 1000, &v)
        || !s_str (c, q, "channels.email.quarantine", "folder", false, &folder))
        return false;
    cfg->email_max_failures = (int) v;
    if (folder) {
        //  The name goes into IMAP commands between quotes.
        if (!*folder || strpbrk (folder, "\"\\\r\n")) {
            free (folder);
            return s_fail (c, "channels.email.quarantine.folder",
                           "must not be empty or contain quotes, backslashes or line ends");
        }
        free (cfg->email_quarantine_folder);
        cfg->email_quarantine_folder = folder;
    }
    return true;
}

//  channels.email.agent_mail: {trust, authserv_id, secret | secret_file,
//  reply_address}. See opd_mail_trust.h for what each trust means.
static bool
s_email_agent_mail (ctx_t *c, yaml_node_t *am)
{
    static const char *const keys[] = {"trust", "authserv_id", "secret", "secret_file", "reply_address", NULL};
    static const char *const base = "channels.email.agent_mail";
    opd_config_t *cfg = c->cfg;
    if (!am)
        return true;
    char *trust = NULL, *file = NULL;
    if (!s_check_map (c, am, base, keys) || !s_str (c, am, base, "trust", false, &trust)
        || !s_str (c, am, base, "authserv_id", false, &cfg->agent_mail_authserv_id)
        || !s_str (c, am, base, "secret", false, &cfg->agent_mail_secret)
        || !s_str (c, am, base, "secret_file", false, &file)
        || !s_str (c, am, base, "reply_address", false, &cfg->agent_mail_address)) {
        free (trust);
        free (file);
        return false;
    }
    if (trust) {
        int t = !strcmp (trust, "none") ? 0
                : !strcmp (trust, "token") ? OPD_AGENT_TRUST_TOKEN
                : !strcmp (trust, "dmarc") ? OPD_AGENT_TRUST_DMARC
                : !strcmp (trust, "token_or_dmarc") ? OPD_AGENT_TRUST_TOKEN | OPD_AGENT_TRUST_DMARC
                                                    : -1;
        free (trust);
        if (t < 0)
            return s_fail (c, "channels.email.agent_mail.trust", "must be token, dmarc, token_or_dmarc or none");
        cfg->agent_mail_trust = t;
    }
    if (file) {
        if (cfg->agent_mail_secret) {
            free (file);
            return s_fail (c, "channels.email.agent_mail.secret_file", "cannot be given with secret");
        }
        gchar *text = NULL;
        bool ok = g_file_get_contents (file, &text, NULL, NULL);
        free (file);
        if (!ok)
            return s_fail (c, "channels.email.agent_mail.secret_file", "cannot be read");
        cfg->agent_mail_secret = opd_strdup (g_strstrip (text));
        g_free (text);
    }
    if (cfg->agent_mail_secret && strlen (cfg->agent_mail_secret) < 16)
        return s_fail (c, "channels.email.agent_mail.secret", "must be at least 16 characters");
    if ((cfg->agent_mail_trust & OPD_AGENT_TRUST_DMARC) && !cfg->agent_mail_authserv_id)
        return s_fail (c, "channels.email.agent_mail.authserv_id", "is required when trust includes dmarc");
    if (cfg->agent_mail_address && !opd_email_valid (cfg->agent_mail_address))
        return s_fail (c, "channels.email.agent_mail.reply_address", "'%s' is not an email address",
                       cfg->agent_mail_address);
    return true;
}

//  channels: the adapters' own settings.
static bool
s_channels (ctx_t *c, yaml_node_t *ch)
{
    opd_config_t *cfg = c->cfg;
    static const char *const keys[] = {"web", "email", "phone", NULL};
    static const char *const wkeys[] = {"public_url", "max_connections", "per_client", "timeout", NULL};
    static const char *const ekeys[] = {"addresses", "imap", "attachments_dir", "max_attachment_bytes",
                                        "rate_limit", "quarantine", "agent_mail", NULL};
    static const char *const ikeys[] = {"url", "username", "password", "move_to", "interval", NULL};
    static const char *const rkeys[] = {"per_sender", "window", NULL};
    static const char *const pkeys[] = {"secret", "default_country_code", NULL};
    cfg->web_max_connections = 512;
    cfg->web_per_client = 32;
    cfg->web_timeout_ms = 30000;
    cfg->max_attachment_bytes = 10 * 1048576;
    cfg->email_rate_per_sender = 20;
    cfg->email_rate_window_ms = 3600000;
    cfg->email_max_failures = 3;
    cfg->email_quarantine_folder = opd_strdup ("Quarantine");
    cfg->agent_mail_trust = OPD_AGENT_TRUST_TOKEN;
    cfg->phone_country_code = opd_strdup ("44");
    if (ch && !s_check_map (c, ch, "channels", keys))
        return false;
    char path[512];
    yaml_node_t *web = s_get (c, ch, "web");
    int64_t v;
    char *text = NULL;
    if (web) {
        if (!s_check_map (c, web, "channels.web", wkeys)
            || !s_str (c, web, "channels.web", "public_url", false, &cfg->web_public_url))
            return false;
        v = cfg->web_max_connections;
        if (!s_int (c, web, "channels.web", "max_connections", 1, 100000, &v))
            return false;
        cfg->web_max_connections = (int) v;
        v = cfg->web_per_client;
        if (!s_int (c, web, "channels.web", "per_client", 1, 100000, &v))
            return false;
        cfg->web_per_client = (int) v;
        if (!s_str (c, web, "channels.web", "timeout", false, &text))
            return false;
        if (text && opd_duration_parse (text, &cfg->web_timeout_ms)) {
            free (text);
            return s_fail (c, "channels.web.timeout", "is not a duration");
        }
        free (text);
        text = NULL;
    }
    if (!cfg->web_public_url)
        cfg->web_public_url = opd_sprintf ("http://%s", cfg->ep_http);
    yaml_node_t *email = s_get (c, ch, "email");
    if (email) {
        if (!s_check_map (c, email, "channels.email", ekeys)
            || !s_strlist (c, s_get (c, email, "addresses"), "channels.email.addresses",
                           &cfg->email_addresses, &cfg->nemail_addresses)
            || !s_str (c, email, "channels.email", "attachments_dir", false, &cfg->attachments_dir)
            || !s_int (c, email, "channels.email", "max_attachment_bytes", 0, 1024 * 1048576,
                       &cfg->max_attachment_bytes))
            return false;
        for (size_t i = 0; i < cfg->nemail_addresses; i++)
            if (!opd_email_valid (cfg->email_addresses[i]))
                return s_fail (c, "channels.email.addresses", "'%s' is not an email address",
                               cfg->email_addresses[i]);
        yaml_node_t *rl = s_get (c, email, "rate_limit");
        if (rl) {
            if (!s_check_map (c, rl, "channels.email.rate_limit", rkeys))
                return false;
            v = cfg->email_rate_per_sender;
            if (!s_int (c, rl, "channels.email.rate_limit", "per_sender", 1, 1000000, &v))
                return false;
            cfg->email_rate_per_sender = (int) v;
            if (!s_str (c, rl, "channels.email.rate_limit", "window", false, &text))
                return false;
            if (text && opd_duration_parse (text, &cfg->email_rate_window_ms)) {
                free (text);
                return s_fail (c, "channels.email.rate_limit.window", "is not a duration");
            }
            free (text);
            text = NULL;
        }
        if (!s_email_quarantine (c, s_get (c, email, "quarantine"))
            || !s_email_agent_mail (c, s_get (c, email, "agent_mail")))
            return false;
        yaml_node_t *imap = s_get (c, email, "imap");
        if (!s_list_of_maps (c, imap, "channels.email.imap"))
            return false;
        cfg->imap = opd_calloc (s_seq_len (imap), sizeof (opd_imap_t));
        for (size_t i = 0; i < s_seq_len (imap); i++) {
            opd_imap_t *m = &cfg->imap[cfg->nimap++];
            snprintf (path, sizeof path, "channels.email.imap[%zu]", i);
            yaml_node_t *n = ITEM (imap, i);
            m->interval_ms = 30000;
            if (!s_check_map (c, n, path, ikeys) || !s_str (c, n, path, "url", true, &m->url)
                || !s_str (c, n, path, "username", false, &m->username)
                || !s_str (c, n, path, "password", false, &m->password)
                || !s_str (c, n, path, "move_to", false, &m->move_to)
                || !s_str (c, n, path, "interval", false, &text))
                return false;
            if (text && opd_duration_parse (text, &m->interval_ms)) {
                free (text);
                return s_fail (c, path, "interval is not a duration");
            }
            free (text);
            text = NULL;
            if (strncmp (m->url, "imap://", 7) && strncmp (m->url, "imaps://", 8))
                return s_fail (c, path, "url '%s' is not an imap:// or imaps:// URL", m->url);
        }
    }
    yaml_node_t *phone = s_get (c, ch, "phone");
    if (phone) {
        if (!s_check_map (c, phone, "channels.phone", pkeys)
            || !s_str (c, phone, "channels.phone", "secret", false, &cfg->phone_secret)
            || !s_str (c, phone, "channels.phone", "default_country_code", false,
                       &cfg->phone_country_code))
            return false;
        const char *cc = cfg->phone_country_code;
        if (!*cc || strlen (cc) > 3 || strspn (cc, "0123456789") != strlen (cc) || cc[0] == '0')
            return s_fail (c, "channels.phone.default_country_code", "must be 1 to 3 digits, e.g. 44");
        if (cfg->phone_secret && strlen (cfg->phone_secret) < 8)
            return s_fail (c, "channels.phone.secret", "needs at least 8 characters");
    }
    return true;
}

/*  The size of the tree under node n as the walk sees it, every alias
    expanded: nodes, bytes of scalar text, and height. libyaml shares one
    node between an anchor and its aliases, so sizes are computed once per
    node (memo) and the measure costs one pass over the document however
    large the expansion; counts saturate above the bounds. An alias inside
    the node it names makes a cycle, refused too. */
typedef struct {
    uint64_t nodes, text;
    int height;
    int state;  //  0 not seen, 1 being measured, 2 done
} measure_t;

static const char *
s_measure (yaml_document_t *doc, measure_t *memo, int index, int depth)
{
    yaml_node_t *n = yaml_document_get_node (doc, index);
    if (!n)
        return NULL;
    measure_t *m = &memo[index - 1];
    if (m->state == 1)
        return "an alias refers to a node that holds it";
    if (m->state == 2)
        return depth + m->height > MAX_DEPTH ? "is nested too deeply" : NULL;
    if (depth > MAX_DEPTH)
        return "is nested too deeply";
    m->state = 1;
    uint64_t nodes = 1, text = 0;
    int height = 0;
    int children[2];
    yaml_node_item_t *item = NULL, *item_end = NULL;
    yaml_node_pair_t *pair = NULL, *pair_end = NULL;
    if (n->type == YAML_SCALAR_NODE)
        text = n->data.scalar.length;
    else if (n->type == YAML_SEQUENCE_NODE) {
        item = n->data.sequence.items.start;
        item_end = n->data.sequence.items.top;
    }
    else if (n->type == YAML_MAPPING_NODE) {
        pair = n->data.mapping.pairs.start;
        pair_end = n->data.mapping.pairs.top;
    }
    while (item < item_end || pair < pair_end) {
        int nchildren = 0;
        if (item < item_end)
            children[nchildren++] = *item++;
        else {
            children[nchildren++] = pair->key;
            children[nchildren++] = pair->value;
            pair++;
        }
        for (int i = 0; i < nchildren; i++) {
            const char *why = s_measure (doc, memo, children[i], depth + 1);
            if (why)
                return why;
            measure_t *cm = &memo[children[i] - 1];
            nodes += cm->nodes;
            text += cm->text;
            if (cm->height + 1 > height)
                height = cm->height + 1;
            //  Saturate: the caller only needs to know that a bound is passed.
            if (nodes > MAX_NODES)
                nodes = MAX_NODES + 1;
            if (text > MAX_TEXT_BYTES)
                text = MAX_TEXT_BYTES + 1;
        }
    }
    m->nodes = nodes;
    m->text = text;
    m->height = height;
    m->state = 2;
    return NULL;
}

//  Refuses a document larger than the bounds once its aliases are expanded,
//  naming the top-level key where the budget ran out.
static bool
s_check_size (ctx_t *c, yaml_node_t *root)
{
    size_t count = (size_t) (c->doc->nodes.top - c->doc->nodes.start);
    measure_t *memo = opd_calloc (count + 1, sizeof (measure_t));
    uint64_t nodes = 1, text = 0;
    bool ok = true;
    for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
         ok && p < root->data.mapping.pairs.top; p++) {
        yaml_node_t *k = s_node (c, p->key);
        const char *key = k && k->type == YAML_SCALAR_NODE ? (const char *) k->data.scalar.value
                                                            : "";
        const char *why = s_measure (c->doc, memo, p->value, 1);
        if (why)
            ok = s_fail (c, key, "%s", why);
        else {
            nodes += 1 + memo[p->value - 1].nodes;
            text += memo[p->value - 1].text;
            if (nodes > MAX_NODES)
                ok = s_fail (c, key,
                             "too many nodes (aliases?): the configuration holds more than %d "
                             "once aliases are expanded",
                             MAX_NODES);
            else if (text > MAX_TEXT_BYTES)
                ok = s_fail (c, key,
                             "too much text (aliases?): the configuration holds more than %d MiB "
                             "once aliases are expanded",
                             MAX_TEXT_BYTES / (1024 * 1024));
        }
    }
    free (memo);
    return ok;
}

//  --- curve: ZeroMQ CURVE on the intake and events sockets -----------------
//  The key files are read here, so that a missing or broken key stops every
//  program at start with its key named, and a SIGHUP re-reads them. A
//  relative path is relative to the folder of the configuration file.

static char *
s_curve_file (ctx_t *c, const char *file)
{
    const char *slash = strrchr (c->cfg->path, '/');
    if (file[0] == '/' || !slash)
        return opd_strdup (file);
    return opd_sprintf ("%.*s/%s", (int) (slash - c->cfg->path), c->cfg->path, file);
}

//  Reads the certificate named by curve.KEY into *cert; *given is false when
//  the key is absent (and not required).
static bool
s_curve_cert (ctx_t *c, yaml_node_t *n, const char *key, bool required, bool need_secret,
              opd_cert_t *cert, bool *given)
{
    char path[64], err[400], *file = NULL;
    s_path (path, sizeof path, "curve", key);
    memset (cert, 0, sizeof *cert);
    if (!s_str (c, n, "curve", key, required, &file))
        return false;
    *given = file != NULL;
    if (!file)
        return true;
    char *full = s_curve_file (c, file);
    int rc = opd_cert_load (full, need_secret, cert, err, sizeof err);
    free (full);
    free (file);
    return rc ? s_fail (c, path, "%s", err) : true;
}

//  The folder of allow-listed client certificates (opdesk-intake's zauth).
static bool
s_curve_dir (ctx_t *c, yaml_node_t *n)
{
    char *dir = NULL;
    if (!s_str (c, n, "curve", "clients_dir", false, &dir) || !dir)
        return !c->failed;
    c->cfg->curve_clients_dir = s_curve_file (c, dir);
    free (dir);
    struct stat st;
    if (stat (c->cfg->curve_clients_dir, &st) || !S_ISDIR (st.st_mode))
        return s_fail (c, "curve.clients_dir", "'%s' is not a folder", c->cfg->curve_clients_dir);
    return true;
}

static bool
s_curve (ctx_t *c, yaml_node_t *n)
{
    static const char *const keys[] = {"server_public_file", "client_secret_file", "server_secret_file",
                                       "clients_dir", NULL};
    if (!n)
        return true;
    opd_cert_t spub, client, ssec;
    bool has_spub, has_client, has_ssec = false;
    bool ok = s_check_map (c, n, "curve", keys)
              && s_curve_cert (c, n, "server_public_file", true, false, &spub, &has_spub)
              && s_curve_cert (c, n, "client_secret_file", true, true, &client, &has_client)
              && s_curve_cert (c, n, "server_secret_file", false, true, &ssec, &has_ssec)
              && s_curve_dir (c, n);
    if (ok && has_ssec && strcmp (ssec.public_key, spub.public_key))
        ok = s_fail (c, "curve.server_public_file", "is not the public key of curve.server_secret_file");
    //  intake needs both halves of its side; other hosts need neither.
    if (ok && has_ssec != (c->cfg->curve_clients_dir != NULL))
        ok = s_fail (c, has_ssec ? "curve.clients_dir" : "curve.server_secret_file",
                     "is required with curve.%s", has_ssec ? "server_secret_file" : "clients_dir");
    if (ok) {
        opd_curve_t *cv = &c->cfg->curve;
        cv->enabled = true;
        memcpy (cv->server_public, spub.public_key, sizeof cv->server_public);
        memcpy (cv->server_secret, ssec.secret_key, sizeof cv->server_secret);
        memcpy (cv->client_public, client.public_key, sizeof cv->client_public);
        memcpy (cv->client_secret, client.secret_key, sizeof cv->client_secret);
    }
    explicit_bzero (&client, sizeof client);
    explicit_bzero (&ssec, sizeof ssec);
    return ok;
}

static bool
s_load (ctx_t *c, yaml_node_t *root)
{
    opd_config_t *cfg = c->cfg;
    if (!root)
        return s_fail (c, "", "the file is empty");
    if (!s_check_map (c, root, "", s_top_keys) || !s_check_size (c, root))
        return false;
    char path[512], sub[512];

    cfg->ticket_prefix = opd_strdup ("OPD");
    if (!s_str (c, root, "", "ticket_prefix", false, &cfg->ticket_prefix))
        return false;
    if (!*cfg->ticket_prefix || strlen (cfg->ticket_prefix) > 16)
        return s_fail (c, "ticket_prefix", "must be 1 to 16 letters");
    for (const char *p = cfg->ticket_prefix; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')))
            return s_fail (c, "ticket_prefix", "may hold only letters and digits");
    cfg->log_level = opd_strdup ("info");
    if (!s_str (c, root, "", "log_level", false, &cfg->log_level))
        return false;
    if (opd_log_level_parse (cfg->log_level) < 0)
        return s_fail (c, "log_level", "must be debug, info, warn or error");
    if (!s_bool (c, root, "", "demo", &cfg->demo))
        return false;
    c->demo_given = s_get (c, root, "demo") != NULL;

    //  redis
    yaml_node_t *redis = s_get (c, root, "redis");
    static const char *const rkeys[] = {"host", "port", "username", "password", "password_file",
                                        "db", NULL};
    cfg->redis_host = opd_strdup ("127.0.0.1");
    int64_t port = 6379, db = 0;
    char *password_file = NULL;
    if (redis
        && (!s_check_map (c, redis, "redis", rkeys)
            || !s_str (c, redis, "redis", "host", false, &cfg->redis_host)
            || !s_int (c, redis, "redis", "port", 1, 65535, &port)
            || !s_str (c, redis, "redis", "username", false, &cfg->redis_username)
            || !s_str (c, redis, "redis", "password", false, &cfg->redis_password)
            || !s_str (c, redis, "redis", "password_file", false, &password_file)
            || !s_int (c, redis, "redis", "db", 0, 15, &db)
            || !s_redis_credentials (c, password_file))) {
        free (password_file);
        return false;
    }
    free (password_file);
    cfg->redis_port = (int) port;
    cfg->redis_db = (int) db;

    //  endpoints
    yaml_node_t *ep = s_get (c, root, "endpoints");
    static const char *const ekeys[] = {"intake", "events", "http", "phone", NULL};
    cfg->ep_intake = opd_strdup ("tcp://127.0.0.1:5550");
    cfg->ep_events = opd_strdup ("tcp://127.0.0.1:5560");
    cfg->ep_http = opd_strdup ("127.0.0.1:8080");
    cfg->ep_phone = opd_strdup ("127.0.0.1:8081");
    if (ep
        && (!s_check_map (c, ep, "endpoints", ekeys)
            || !s_str (c, ep, "endpoints", "intake", false, &cfg->ep_intake)
            || !s_str (c, ep, "endpoints", "events", false, &cfg->ep_events)
            || !s_str (c, ep, "endpoints", "http", false, &cfg->ep_http)
            || !s_str (c, ep, "endpoints", "phone", false, &cfg->ep_phone)))
        return false;
    const char *zeps[2] = {cfg->ep_intake, cfg->ep_events};
    const char *znames[2] = {"endpoints.intake", "endpoints.events"};
    for (int i = 0; i < 2; i++)
        if (strncmp (zeps[i], "tcp://", 6) && strncmp (zeps[i], "ipc://", 6))
            return s_fail (c, znames[i], "'%s' is not a tcp:// or ipc:// endpoint", zeps[i]);
    const char *heps[2] = {cfg->ep_http, cfg->ep_phone};
    const char *hnames[2] = {"endpoints.http", "endpoints.phone"};
    for (int i = 0; i < 2; i++) {
        const char *colon = strrchr (heps[i], ':');
        if (!colon || atoi (colon + 1) <= 0 || atoi (colon + 1) > 65535)
            return s_fail (c, hnames[i], "'%s' is not HOST:PORT", heps[i]);
    }

    //  events
    yaml_node_t *ev = s_get (c, root, "events");
    static const char *const evkeys[] = {"max_len", NULL};
    cfg->events_max_len = 1000000;
    if (ev
        && (!s_check_map (c, ev, "events", evkeys)
            || !s_int (c, ev, "events", "max_len", 1000, 1000000000, &cfg->events_max_len)))
        return false;

    //  calendars
    yaml_node_t *cals = s_get (c, root, "calendars");
    if (cals) {
        if (!s_check_map (c, cals, "calendars", NULL))
            return false;
        size_t n = (size_t) (cals->data.mapping.pairs.top - cals->data.mapping.pairs.start);
        cfg->calendars = opd_calloc (n, sizeof (opd_calendar_t));
        for (size_t i = 0; i < n; i++) {
            yaml_node_pair_t *p = &cals->data.mapping.pairs.start[i];
            cfg->ncalendars++;
            if (!s_calendar (c, s_node (c, p->key), s_node (c, p->value), &cfg->calendars[i]))
                return false;
        }
    }

    //  categories
    if (!s_categories (c, s_get (c, root, "categories"), "", "categories", 0))
        return false;
    if (cfg->ncategories)
        qsort (cfg->categories, cfg->ncategories, sizeof (char *), s_str_cmp);
    for (size_t i = 1; i < cfg->ncategories; i++)
        if (!strcmp (cfg->categories[i], cfg->categories[i - 1]))
            return s_fail (c, "categories", "'%s' appears twice", cfg->categories[i]);

    //  priority matrix
    yaml_node_t *pm = s_get (c, root, "priority_matrix");
    static const char *const levels[] = {"high", "medium", "low", NULL};
    if (pm) {
        if (!s_check_map (c, pm, "priority_matrix", levels))
            return false;
        for (int i = 0; i < 3; i++) {
            s_path (path, sizeof path, "priority_matrix", levels[i]);
            yaml_node_t *row = s_get (c, pm, levels[i]);
            if (!row)
                return s_fail (c, path, "is required");
            if (!s_check_map (c, row, path, levels))
                return false;
            for (int j = 0; j < 3; j++) {
                char *v = NULL;
                if (!s_str (c, row, path, levels[j], true, &v))
                    return false;
                cfg->priority_matrix[i][j] = opd_priority_rank (v);
                s_path (sub, sizeof sub, path, levels[j]);
                free (v);
                if (!cfg->priority_matrix[i][j])
                    return s_fail (c, sub, "must be P1, P2, P3 or P4");
            }
        }
        cfg->has_matrix = true;
    }
    cfg->default_priority = opd_strdup ("P3");
    if (!s_str (c, root, "", "default_priority", false, &cfg->default_priority))
        return false;
    if (!s_priority_valid (cfg->default_priority))
        return s_fail (c, "default_priority", "must be P1, P2, P3 or P4");

    //  teams
    yaml_node_t *teams = s_get (c, root, "teams");
    if (!s_list_of_maps (c, teams, "teams"))
        return false;
    cfg->teams = opd_calloc (s_seq_len (teams), sizeof (opd_team_t));
    static const char *const tkeys[] = {"id", "name", "calendar", "min_on_duty", "max_away", NULL};
    for (size_t i = 0; i < s_seq_len (teams); i++) {
        opd_team_t *t = &cfg->teams[cfg->nteams++];
        snprintf (path, sizeof path, "teams[%zu]", i);
        yaml_node_t *n = ITEM (teams, i);
        int64_t min = 1, away = 0;
        if (!s_check_map (c, n, path, tkeys) || !s_str (c, n, path, "id", true, &t->id)
            || !s_str (c, n, path, "name", false, &t->name)
            || !s_str (c, n, path, "calendar", false, &t->calendar)
            || !s_int (c, n, path, "min_on_duty", 0, 1000, &min)
            || !s_int (c, n, path, "max_away", 0, 1000, &away))
            return false;
        t->min_on_duty = (int) min;
        t->max_away = (int) away;
        if (!t->name)
            t->name = opd_strdup (t->id);
        s_path (sub, sizeof sub, path, "calendar");
        if (t->calendar && !opd_config_calendar (cfg, t->calendar))
            return s_fail (c, sub, "unknown calendar '%s'", t->calendar);
        for (size_t j = 0; j + 1 < cfg->nteams; j++)
            if (!strcmp (cfg->teams[j].id, t->id))
                return s_fail (c, path, "team '%s' appears twice", t->id);
    }
    if (!s_str (c, root, "", "default_team", false, &cfg->default_team))
        return false;
    if (cfg->default_team && !opd_config_team (cfg, cfg->default_team))
        return s_fail (c, "default_team", "unknown team '%s'", cfg->default_team);
    if (!cfg->default_team && cfg->nteams)
        cfg->default_team = opd_strdup (cfg->teams[0].id);

    //  policies
    yaml_node_t *pols = s_get (c, root, "slo_policies");
    if (!s_list_of_maps (c, pols, "slo_policies"))
        return false;
    cfg->policies = opd_calloc (s_seq_len (pols), sizeof (opd_policy_t));
    for (size_t i = 0; i < s_seq_len (pols); i++) {
        opd_policy_t *p = &cfg->policies[cfg->npolicies++];
        snprintf (path, sizeof path, "slo_policies[%zu]", i);
        if (!s_policy (c, ITEM (pols, i), path, p))
            return false;
        s_path (sub, sizeof sub, path, "calendar");
        if (!opd_config_calendar (cfg, p->calendar))
            return s_fail (c, sub, "unknown calendar '%s'", p->calendar);
        s_path (sub, sizeof sub, path, "match");
        if (p->match.priority && !s_priority_valid (p->match.priority))
            return s_fail (c, sub, "priority '%s' must be P1, P2, P3 or P4", p->match.priority);
        if (p->match.kind && !s_kind_valid (p->match.kind))
            return s_fail (c, sub, "kind '%s' must be incident or service_request", p->match.kind);
        if (p->match.category && !opd_config_category_exists (cfg, p->match.category))
            return s_fail (c, sub, "unknown category '%s'", p->match.category);
        if (p->match.team && !opd_config_team (cfg, p->match.team))
            return s_fail (c, sub, "unknown team '%s'", p->match.team);
        if (p->match.channel && !opd_channel_valid (p->match.channel))
            return s_fail (c, sub, "channel '%s' is not a channel name", p->match.channel);
        if (!p->first_response && !p->resolution && !p->next_reply)
            return s_fail (c, path, "needs at least one of first_response, next_reply, resolution");
        for (size_t j = 0; j + 1 < cfg->npolicies; j++)
            if (!strcmp (cfg->policies[j].name, p->name))
                return s_fail (c, path, "policy '%s' appears twice", p->name);
    }

    //  agents
    yaml_node_t *agents = s_get (c, root, "agents");
    if (!s_list_of_maps (c, agents, "agents"))
        return false;
    cfg->agents = opd_calloc (s_seq_len (agents), sizeof (opd_agent_t));
    static const char *const akeys[] = {"id", "name", "email", "phone", "teams", NULL};
    for (size_t i = 0; i < s_seq_len (agents); i++) {
        opd_agent_t *a = &cfg->agents[cfg->nagents++];
        snprintf (path, sizeof path, "agents[%zu]", i);
        yaml_node_t *n = ITEM (agents, i);
        if (!s_check_map (c, n, path, akeys) || !s_str (c, n, path, "id", true, &a->id)
            || !s_str (c, n, path, "name", false, &a->name)
            || !s_str (c, n, path, "email", false, &a->email)
            || !s_str (c, n, path, "phone", false, &a->phone))
            return false;
        s_path (sub, sizeof sub, path, "teams");
        if (!s_strlist (c, s_get (c, n, "teams"), sub, &a->teams, &a->nteams))
            return false;
        for (size_t j = 0; j < a->nteams; j++)
            if (!opd_config_team (cfg, a->teams[j]))
                return s_fail (c, sub, "unknown team '%s'", a->teams[j]);
        s_path (sub, sizeof sub, path, "email");
        if (a->email && !opd_email_valid (a->email))
            return s_fail (c, sub, "'%s' is not an email address", a->email);
        s_path (sub, sizeof sub, path, "phone");
        if (a->phone && !opd_e164_valid (a->phone))
            return s_fail (c, sub, "'%s' is not an E.164 number", a->phone);
        if (!a->name)
            a->name = opd_strdup (a->id);
        for (size_t j = 0; j + 1 < cfg->nagents; j++)
            if (!strcmp (cfg->agents[j].id, a->id))
                return s_fail (c, path, "agent '%s' appears twice", a->id);
    }

    //  shifts
    yaml_node_t *shifts = s_get (c, root, "shifts");
    if (!s_list_of_maps (c, shifts, "shifts"))
        return false;
    cfg->shifts = opd_calloc (s_seq_len (shifts), sizeof (opd_shift_t));
    static const char *const skeys[] = {"agent", "team", "days", "from", "to", "timezone", NULL};
    for (size_t i = 0; i < s_seq_len (shifts); i++) {
        opd_shift_t *s = &cfg->shifts[cfg->nshifts++];
        snprintf (path, sizeof path, "shifts[%zu]", i);
        yaml_node_t *n = ITEM (shifts, i);
        char *from = NULL, *to = NULL, **days = NULL;
        size_t ndays = 0;
        bool ok = s_check_map (c, n, path, skeys) && s_str (c, n, path, "agent", true, &s->agent)
                  && s_str (c, n, path, "team", true, &s->team)
                  && s_str (c, n, path, "from", true, &from) && s_str (c, n, path, "to", true, &to)
                  && s_str (c, n, path, "timezone", false, &s->timezone);
        s_path (sub, sizeof sub, path, "days");
        ok = ok && s_strlist (c, s_get (c, n, "days"), sub, &days, &ndays);
        for (size_t j = 0; ok && j < ndays; j++) {
            int d = -1;
            for (int k = 0; k < 7; k++)
                if (!strcmp (days[j], s_days[k]))
                    d = k;
            if (d < 0)
                ok = s_fail (c, sub, "'%s' is not one of mon, tue, wed, thu, fri, sat, sun", days[j]);
            else
                s->days[d] = true;
        }
        if (ok && !ndays)
            ok = s_fail (c, sub, "is required");
        for (size_t j = 0; j < ndays; j++)
            free (days[j]);
        free (days);
        if (ok) {
            s_path (sub, sizeof sub, path, "from");
            if (!s_parse_hhmm (from, &s->from, false))
                ok = s_fail (c, sub, "'%s' is not HH:MM", from);
            s_path (sub, sizeof sub, path, "to");
            if (ok && !s_parse_hhmm (to, &s->to, true))
                ok = s_fail (c, sub, "'%s' is not HH:MM", to);
            if (ok && s->to == s->from)
                ok = s_fail (c, sub, "a shift cannot end when it starts");
        }
        free (from);
        free (to);
        if (!ok)
            return false;
        s_path (sub, sizeof sub, path, "timezone");
        if (s->timezone && !s_valid_timezone (s->timezone))
            return s_fail (c, sub, "unknown time zone '%s'", s->timezone);
        if (!s->timezone) {
            const opd_team_t *t = opd_config_team (cfg, s->team);
            const opd_calendar_t *cal = t && t->calendar ? opd_config_calendar (cfg, t->calendar) : NULL;
            s->timezone = opd_strdup (cal ? cal->timezone : "UTC");
        }
        s_path (sub, sizeof sub, path, "agent");
        if (!opd_config_agent (cfg, s->agent))
            return s_fail (c, sub, "unknown agent '%s'", s->agent);
        s_path (sub, sizeof sub, path, "team");
        if (!opd_config_team (cfg, s->team))
            return s_fail (c, sub, "unknown team '%s'", s->team);
        s_path (sub, sizeof sub, path, "timezone");
        if (!s_valid_timezone (s->timezone))
            return s_fail (c, sub, "unknown time zone '%s'", s->timezone);
    }

    //  standard responses (before rules, which name them)
    yaml_node_t *srs = s_get (c, root, "standard_responses");
    if (!s_list_of_maps (c, srs, "standard_responses"))
        return false;
    cfg->stdresps = opd_calloc (s_seq_len (srs), sizeof (opd_stdresp_t));
    static const char *const srkeys[] = {"id", "subject", "body", "guide_url", NULL};
    for (size_t i = 0; i < s_seq_len (srs); i++) {
        opd_stdresp_t *r = &cfg->stdresps[cfg->nstdresps++];
        snprintf (path, sizeof path, "standard_responses[%zu]", i);
        yaml_node_t *n = ITEM (srs, i);
        if (!s_check_map (c, n, path, srkeys) || !s_str (c, n, path, "id", true, &r->id)
            || !s_str (c, n, path, "subject", false, &r->subject)
            || !s_str (c, n, path, "body", true, &r->body)
            || !s_str (c, n, path, "guide_url", false, &r->guide_url))
            return false;
        for (size_t j = 0; j + 1 < cfg->nstdresps; j++)
            if (!strcmp (cfg->stdresps[j].id, r->id))
                return s_fail (c, path, "standard response '%s' appears twice", r->id);
    }

    //  routing rules
    yaml_node_t *rules = s_get (c, root, "routing_rules");
    if (!s_list_of_maps (c, rules, "routing_rules"))
        return false;
    cfg->rules = opd_calloc (s_seq_len (rules), sizeof (opd_rule_t));
    static const char *const rukeys[] = {"name", "when", "then", NULL};
    static const char *const wkeys[] = {"keywords", "in", NULL};
    static const char *const thkeys[] = {"team", "category", "priority", "standard_response", NULL};
    for (size_t i = 0; i < s_seq_len (rules); i++) {
        opd_rule_t *r = &cfg->rules[cfg->nrules++];
        snprintf (path, sizeof path, "routing_rules[%zu]", i);
        yaml_node_t *n = ITEM (rules, i);
        if (!s_check_map (c, n, path, rukeys) || !s_str (c, n, path, "name", true, &r->name))
            return false;
        yaml_node_t *when = s_get (c, n, "when"), *then = s_get (c, n, "then");
        char wpath[512], tpath[512];
        s_path (wpath, sizeof wpath, path, "when");
        s_path (tpath, sizeof tpath, path, "then");
        if (!when)
            return s_fail (c, wpath, "is required");
        if (!then)
            return s_fail (c, tpath, "is required");
        if (!s_check_map (c, when, wpath, wkeys) || !s_check_map (c, then, tpath, thkeys))
            return false;
        s_path (sub, sizeof sub, wpath, "keywords");
        if (!s_strlist (c, s_get (c, when, "keywords"), sub, &r->keywords, &r->nkeywords))
            return false;
        if (!r->nkeywords)
            return s_fail (c, sub, "needs at least one keyword");
        for (size_t j = 0; j < r->nkeywords; j++)
            if (!*r->keywords[j])
                return s_fail (c, sub, "a keyword cannot be empty");
        char **in = NULL;
        size_t nin = 0;
        s_path (sub, sizeof sub, wpath, "in");
        if (!s_strlist (c, s_get (c, when, "in"), sub, &in, &nin))
            return false;
        bool ok = true;
        for (size_t j = 0; j < nin; j++) {
            if (!strcmp (in[j], "subject"))
                r->in_subject = true;
            else if (!strcmp (in[j], "body"))
                r->in_body = true;
            else if (ok)
                ok = s_fail (c, sub, "'%s' must be subject or body", in[j]);
            free (in[j]);
        }
        free (in);
        if (!ok)
            return false;
        if (!nin)
            r->in_subject = r->in_body = true;
        if (!s_str (c, then, tpath, "team", false, &r->team)
            || !s_str (c, then, tpath, "category", false, &r->category)
            || !s_str (c, then, tpath, "priority", false, &r->priority)
            || !s_str (c, then, tpath, "standard_response", false, &r->standard_response))
            return false;
        if (r->team && !opd_config_team (cfg, r->team))
            return s_fail (c, (s_path (sub, sizeof sub, tpath, "team"), sub), "unknown team '%s'", r->team);
        if (r->category && !opd_config_category_exists (cfg, r->category))
            return s_fail (c, (s_path (sub, sizeof sub, tpath, "category"), sub),
                           "unknown category '%s'", r->category);
        if (r->priority && !s_priority_valid (r->priority))
            return s_fail (c, (s_path (sub, sizeof sub, tpath, "priority"), sub),
                           "'%s' must be P1, P2, P3 or P4", r->priority);
        if (r->standard_response && !opd_config_stdresp (cfg, r->standard_response))
            return s_fail (c, (s_path (sub, sizeof sub, tpath, "standard_response"), sub),
                           "unknown standard response '%s'", r->standard_response);
    }

    if (!s_str (c, root, "", "footer", false, &cfg->footer))
        return false;

    //  request types
    yaml_node_t *rts = s_get (c, root, "request_types");
    if (!s_list_of_maps (c, rts, "request_types"))
        return false;
    cfg->reqtypes = opd_calloc (s_seq_len (rts), sizeof (opd_reqtype_t));
    static const char *const rtkeys[] = {"id", "name", "fields", NULL};
    for (size_t i = 0; i < s_seq_len (rts); i++) {
        opd_reqtype_t *rt = &cfg->reqtypes[cfg->nreqtypes++];
        snprintf (path, sizeof path, "request_types[%zu]", i);
        yaml_node_t *n = ITEM (rts, i);
        if (!s_check_map (c, n, path, rtkeys) || !s_str (c, n, path, "id", true, &rt->id)
            || !s_str (c, n, path, "name", false, &rt->name))
            return false;
        if (!rt->name)
            rt->name = opd_strdup (rt->id);
        yaml_node_t *fields = s_get (c, n, "fields");
        s_path (sub, sizeof sub, path, "fields");
        if (!s_list_of_maps (c, fields, sub))
            return false;
        rt->fields = opd_calloc (s_seq_len (fields), sizeof (opd_field_t));
        for (size_t j = 0; j < s_seq_len (fields); j++) {
            char fpath[600];
            snprintf (fpath, sizeof fpath, "%s[%zu]", sub, j);
            rt->nfields++;
            if (!s_field (c, ITEM (fields, j), fpath, &rt->fields[j]))
                return false;
            for (size_t k = 0; k < j; k++)
                if (!strcmp (rt->fields[k].name, rt->fields[j].name))
                    return s_fail (c, fpath, "field '%s' appears twice", rt->fields[j].name);
        }
        for (size_t j = 0; j + 1 < cfg->nreqtypes; j++)
            if (!strcmp (cfg->reqtypes[j].id, rt->id))
                return s_fail (c, path, "request type '%s' appears twice", rt->id);
    }
    for (size_t i = 0; i < cfg->npolicies; i++)
        if (cfg->policies[i].match.request_type
            && !opd_config_reqtype (cfg, cfg->policies[i].match.request_type)) {
            snprintf (path, sizeof path, "slo_policies[%zu].match", i);
            return s_fail (c, path, "unknown request type '%s'", cfg->policies[i].match.request_type);
        }

    //  retention
    yaml_node_t *ret = s_get (c, root, "retention");
    static const char *const retkeys[] = {"closed_days", "per_category", NULL};
    int64_t closed_days = 365;
    if (ret
        && (!s_check_map (c, ret, "retention", retkeys)
            || !s_int (c, ret, "retention", "closed_days", 1, 36500, &closed_days)))
        return false;
    cfg->retention_closed_days = (int) closed_days;
    yaml_node_t *per = s_get (c, ret, "per_category");
    if (per) {
        if (!s_check_map (c, per, "retention.per_category", NULL))
            return false;
        size_t n = (size_t) (per->data.mapping.pairs.top - per->data.mapping.pairs.start);
        cfg->retention_rules = opd_calloc (n, sizeof (opd_retention_rule_t));
        for (size_t i = 0; i < n; i++) {
            yaml_node_t *k = s_node (c, per->data.mapping.pairs.start[i].key);
            const char *cat = (const char *) k->data.scalar.value;
            s_path (sub, sizeof sub, "retention.per_category", cat);
            if (!opd_config_category_exists (cfg, cat))
                return s_fail (c, sub, "unknown category '%s'", cat);
            int64_t days = 0;
            if (!s_int (c, per, "retention.per_category", cat, 1, 36500, &days))
                return false;
            if (!days)
                return s_fail (c, sub, "must be a number of days");
            cfg->retention_rules[cfg->nretention_rules].category = opd_strdup (cat);
            cfg->retention_rules[cfg->nretention_rules++].days = (int) days;
        }
    }

    //  notifications
    yaml_node_t *nt = s_get (c, root, "notifications");
    static const char *const ntkeys[] = {"smtp", "webhooks", NULL};
    static const char *const smkeys[] = {"url", "from", "username", "password", "timeout", NULL};
    cfg->smtp_url = opd_strdup ("smtp://127.0.0.1:25");
    cfg->smtp_from = opd_strdup ("servicedesk@example.org");
    cfg->smtp_timeout_ms = 10000;
    if (nt && !s_check_map (c, nt, "notifications", ntkeys))
        return false;
    yaml_node_t *smtp = s_get (c, nt, "smtp");
    if (smtp) {
        char *timeout = NULL;
        if (!s_check_map (c, smtp, "notifications.smtp", smkeys)
            || !s_str (c, smtp, "notifications.smtp", "url", false, &cfg->smtp_url)
            || !s_str (c, smtp, "notifications.smtp", "from", false, &cfg->smtp_from)
            || !s_str (c, smtp, "notifications.smtp", "username", false, &cfg->smtp_username)
            || !s_str (c, smtp, "notifications.smtp", "password", false, &cfg->smtp_password)
            || !s_str (c, smtp, "notifications.smtp", "timeout", false, &timeout))
            return false;
        if (timeout && opd_duration_parse (timeout, &cfg->smtp_timeout_ms)) {
            free (timeout);
            return s_fail (c, "notifications.smtp.timeout", "is not a duration");
        }
        free (timeout);
    }
    if (strncmp (cfg->smtp_url, "smtp://", 7) && strncmp (cfg->smtp_url, "smtps://", 8))
        return s_fail (c, "notifications.smtp.url", "'%s' is not an smtp:// or smtps:// URL",
                       cfg->smtp_url);
    if (!opd_email_valid (cfg->smtp_from))
        return s_fail (c, "notifications.smtp.from", "'%s' is not an email address", cfg->smtp_from);
    yaml_node_t *hooks = s_get (c, nt, "webhooks");
    if (!s_list_of_maps (c, hooks, "notifications.webhooks"))
        return false;
    cfg->webhooks = opd_calloc (s_seq_len (hooks), sizeof (opd_webhook_t));
    static const char *const whkeys[] = {"url", "topics", "secret", NULL};
    for (size_t i = 0; i < s_seq_len (hooks); i++) {
        opd_webhook_t *w = &cfg->webhooks[cfg->nwebhooks++];
        snprintf (path, sizeof path, "notifications.webhooks[%zu]", i);
        yaml_node_t *n = ITEM (hooks, i);
        if (!s_check_map (c, n, path, whkeys) || !s_str (c, n, path, "url", true, &w->url)
            || !s_str (c, n, path, "secret", false, &w->secret))
            return false;
        s_path (sub, sizeof sub, path, "topics");
        if (!s_strlist (c, s_get (c, n, "topics"), sub, &w->topics, &w->ntopics))
            return false;
        s_path (sub, sizeof sub, path, "url");
        if (strncmp (w->url, "http://", 7) && strncmp (w->url, "https://", 8))
            return s_fail (c, sub, "'%s' is not an http:// or https:// URL", w->url);
    }

    //  limits
    yaml_node_t *lim = s_get (c, root, "limits");
    static const char *const lkeys[] = {"body_bytes", "frame_bytes", NULL};
    cfg->body_bytes = 1048576;
    cfg->frame_bytes = 2097152;
    if (lim
        && (!s_check_map (c, lim, "limits", lkeys)
            || !s_int (c, lim, "limits", "body_bytes", 1, 64 * 1048576, &cfg->body_bytes)
            || !s_int (c, lim, "limits", "frame_bytes", 1024, 128 * 1048576, &cfg->frame_bytes)))
        return false;

    if (!s_channels (c, s_get (c, root, "channels")))
        return false;

    //  workflow: resolved tickets close by themselves after auto_close_days.
    yaml_node_t *wf = s_get (c, root, "workflow");
    static const char *const wfkeys[] = {"auto_close_days", NULL};
    int64_t auto_close = 7;
    if (wf
        && (!s_check_map (c, wf, "workflow", wfkeys)
            || !s_int (c, wf, "workflow", "auto_close_days", 1, 3650, &auto_close)))
        return false;
    cfg->auto_close_days = (int) auto_close;

    //  coverage: how far ahead a gap in the rota is announced (coverage.gap).
    yaml_node_t *cov = s_get (c, root, "coverage");
    static const char *const covkeys[] = {"lookahead_days", "leave_approval", NULL};
    int64_t lookahead = 14;
    if (cov
        && (!s_check_map (c, cov, "coverage", covkeys)
            || !s_int (c, cov, "coverage", "lookahead_days", 1, 366, &lookahead)
            || !s_bool (c, cov, "coverage", "leave_approval", &cfg->leave_approval)))
        return false;
    cfg->coverage_lookahead_days = (int) lookahead;

    if (!s_slo_burn (c, s_get (c, root, "slo_burn")))
        return false;
    if (!s_curve (c, s_get (c, root, "curve")))
        return false;

    //  tokens
    yaml_node_t *toks = s_get (c, root, "tokens");
    if (!s_list_of_maps (c, toks, "tokens"))
        return false;
    cfg->tokens = opd_calloc (s_seq_len (toks), sizeof (opd_token_t));
    static const char *const tokkeys[] = {"token", "role", "identity", NULL};
    static const char *const roles[] = {"", "requester", "agent", "lead", "admin"};
    for (size_t i = 0; i < s_seq_len (toks); i++) {
        opd_token_t *t = &cfg->tokens[cfg->ntokens++];
        snprintf (path, sizeof path, "tokens[%zu]", i);
        yaml_node_t *n = ITEM (toks, i);
        char *role = NULL;
        if (!s_check_map (c, n, path, tokkeys) || !s_str (c, n, path, "token", true, &t->token)
            || !s_str (c, n, path, "role", true, &role)
            || !s_str (c, n, path, "identity", false, &t->identity)) {
            free (role);
            return false;
        }
        for (int r = 1; r <= 4; r++)
            if (!strcmp (role, roles[r]))
                t->role = (opd_role_t) r;
        s_path (sub, sizeof sub, path, "role");
        if (!t->role) {
            s_fail (c, sub, "'%s' must be requester, agent, lead or admin", role);
            free (role);
            return false;
        }
        free (role);
        s_path (sub, sizeof sub, path, "token");
        if (!strncmp (t->token, "sha256:", 7)) {
            const char *hex = t->token + 7;
            if (strlen (hex) != 64 || strspn (hex, "0123456789abcdefABCDEF") != 64)
                return s_fail (c, sub, "a hashed token is sha256: and 64 hex digits");
            t->hashed = true;
            memmove (t->token, hex, 65);
            for (char *p = t->token; *p; p++)
                *p = (char) g_ascii_tolower (*p);
        }
        else if (strlen (t->token) < 8)
            return s_fail (c, sub, "a token needs at least 8 characters");
        s_path (sub, sizeof sub, path, "identity");
        if (t->role == OPD_ROLE_REQUESTER && (!t->identity || !opd_email_valid (t->identity)))
            return s_fail (c, sub, "a requester token's identity must be an email address");
        if ((t->role == OPD_ROLE_AGENT || t->role == OPD_ROLE_LEAD)
            && (!t->identity || !opd_config_agent (cfg, t->identity)))
            return s_fail (c, sub, "an %s token's identity must be a known agent id",
                           t->role == OPD_ROLE_AGENT ? "agent" : "lead");
        if (!t->identity)
            t->identity = opd_strdup (roles[t->role]);
    }
    return s_check_secrets (c);
}

opd_config_t *
opd_config_parse (const char *text, size_t len, const char *name, char *err, size_t errlen)
{
    opd_config_t *cfg = opd_calloc (1, sizeof *cfg);
    cfg->path = opd_strdup (name);
    yaml_parser_t parser;
    yaml_document_t doc;
    yaml_parser_initialize (&parser);
    yaml_parser_set_input_string (&parser, (const unsigned char *) text, len);
    if (!yaml_parser_load (&parser, &doc)) {
        snprintf (err, errlen, "not valid YAML at line %zu column %zu: %s",
                  parser.problem_mark.line + 1, parser.problem_mark.column + 1,
                  parser.problem ? parser.problem : "parse error");
        yaml_parser_delete (&parser);
        opd_config_destroy (&cfg);
        return NULL;
    }
    ctx_t c = {.doc = &doc, .cfg = cfg, .err = err, .errlen = errlen};
    bool ok = s_load (&c, yaml_document_get_root_node (&doc));
    yaml_document_delete (&doc);
    yaml_parser_delete (&parser);
    if (!ok)
        opd_config_destroy (&cfg);
    return cfg;
}

opd_config_t *
opd_config_load (const char *path, char *err, size_t errlen)
{
    FILE *f = fopen (path, "rb");
    if (!f) {
        snprintf (err, errlen, "cannot open %s: %s", path, strerror (errno));
        return NULL;
    }
    char *buf = malloc (MAX_FILE_BYTES + 1);
    if (!buf)
        abort ();
    size_t len = fread (buf, 1, MAX_FILE_BYTES + 1, f);
    fclose (f);
    if (len > MAX_FILE_BYTES) {
        free (buf);
        snprintf (err, errlen, "%s is larger than 4 MiB", path);
        return NULL;
    }
    opd_config_t *cfg = opd_config_parse (buf, len, path, err, errlen);
    free (buf);
    return cfg;
}

static void
s_free_list (char **list, size_t n)
{
    for (size_t i = 0; list && i < n; i++)
        free (list[i]);
    free (list);
}

void
opd_config_destroy (opd_config_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    opd_config_t *c = *self_p;
    free (c->path);
    free (c->ticket_prefix);
    free (c->log_level);
    free (c->redis_host);
    free (c->redis_password);
    free (c->redis_username);
    free (c->ep_intake);
    free (c->ep_events);
    free (c->ep_http);
    free (c->ep_phone);
    for (size_t i = 0; i < c->ncalendars; i++) {
        free (c->calendars[i].id);
        free (c->calendars[i].timezone);
        for (int d = 0; d < 7; d++)
            free (c->calendars[i].hours[d]);
        s_free_list (c->calendars[i].holidays, c->calendars[i].nholidays);
    }
    free (c->calendars);
    for (size_t i = 0; i < c->npolicies; i++) {
        opd_policy_t *p = &c->policies[i];
        free (p->name);
        free (p->calendar);
        free (p->match.priority);
        free (p->match.kind);
        free (p->match.category);
        free (p->match.team);
        free (p->match.channel);
        free (p->match.request_type);
    }
    free (c->policies);
    free (c->default_priority);
    s_free_list (c->categories, c->ncategories);
    for (size_t i = 0; i < c->nteams; i++) {
        free (c->teams[i].id);
        free (c->teams[i].name);
        free (c->teams[i].calendar);
    }
    free (c->teams);
    free (c->default_team);
    for (size_t i = 0; i < c->nagents; i++) {
        free (c->agents[i].id);
        free (c->agents[i].name);
        free (c->agents[i].email);
        free (c->agents[i].phone);
        s_free_list (c->agents[i].teams, c->agents[i].nteams);
    }
    free (c->agents);
    for (size_t i = 0; i < c->nshifts; i++) {
        free (c->shifts[i].agent);
        free (c->shifts[i].team);
        free (c->shifts[i].timezone);
    }
    free (c->shifts);
    for (size_t i = 0; i < c->nrules; i++) {
        opd_rule_t *r = &c->rules[i];
        free (r->name);
        s_free_list (r->keywords, r->nkeywords);
        free (r->team);
        free (r->category);
        free (r->priority);
        free (r->standard_response);
    }
    free (c->rules);
    for (size_t i = 0; i < c->nstdresps; i++) {
        free (c->stdresps[i].id);
        free (c->stdresps[i].subject);
        free (c->stdresps[i].body);
        free (c->stdresps[i].guide_url);
    }
    free (c->stdresps);
    free (c->footer);
    for (size_t i = 0; i < c->nreqtypes; i++) {
        opd_reqtype_t *rt = &c->reqtypes[i];
        free (rt->id);
        free (rt->name);
        for (size_t j = 0; j < rt->nfields; j++) {
            opd_field_t *f = &rt->fields[j];
            free (f->name);
            free (f->label);
            free (f->pattern);
            if (f->regex)
                g_regex_unref (f->regex);
            s_free_list (f->values, f->nvalues);
        }
        free (rt->fields);
    }
    free (c->reqtypes);
    for (size_t i = 0; i < c->nretention_rules; i++)
        free (c->retention_rules[i].category);
    free (c->retention_rules);
    free (c->smtp_url);
    free (c->smtp_from);
    free (c->smtp_username);
    free (c->smtp_password);
    for (size_t i = 0; i < c->nwebhooks; i++) {
        free (c->webhooks[i].url);
        free (c->webhooks[i].secret);
        s_free_list (c->webhooks[i].topics, c->webhooks[i].ntopics);
    }
    free (c->webhooks);
    for (size_t i = 0; i < c->ntokens; i++) {
        free (c->tokens[i].token);
        free (c->tokens[i].identity);
    }
    free (c->tokens);
    free (c->web_public_url);
    s_free_list (c->email_addresses, c->nemail_addresses);
    for (size_t i = 0; i < c->nimap; i++) {
        free (c->imap[i].url);
        free (c->imap[i].username);
        free (c->imap[i].password);
        free (c->imap[i].move_to);
    }
    free (c->imap);
    free (c->attachments_dir);
    free (c->email_quarantine_folder);
    free (c->agent_mail_authserv_id);
    free (c->agent_mail_secret);
    free (c->agent_mail_address);
    free (c->phone_secret);
    free (c->phone_country_code);
    opd_curve_wipe (&c->curve);
    free (c->curve_clients_dir);
    free (c);
    *self_p = NULL;
}

const opd_calendar_t *
opd_config_calendar (const opd_config_t *self, const char *id)
{
    for (size_t i = 0; id && i < self->ncalendars; i++)
        if (self->calendars[i].id && !strcmp (self->calendars[i].id, id))
            return &self->calendars[i];
    return NULL;
}

const opd_team_t *
opd_config_team (const opd_config_t *self, const char *id)
{
    for (size_t i = 0; id && i < self->nteams; i++)
        if (self->teams[i].id && !strcmp (self->teams[i].id, id))
            return &self->teams[i];
    return NULL;
}

const opd_agent_t *
opd_config_agent (const opd_config_t *self, const char *id)
{
    for (size_t i = 0; id && i < self->nagents; i++)
        if (self->agents[i].id && !strcmp (self->agents[i].id, id))
            return &self->agents[i];
    return NULL;
}

const opd_stdresp_t *
opd_config_stdresp (const opd_config_t *self, const char *id)
{
    for (size_t i = 0; id && i < self->nstdresps; i++)
        if (self->stdresps[i].id && !strcmp (self->stdresps[i].id, id))
            return &self->stdresps[i];
    return NULL;
}

const opd_reqtype_t *
opd_config_reqtype (const opd_config_t *self, const char *id)
{
    for (size_t i = 0; id && i < self->nreqtypes; i++)
        if (self->reqtypes[i].id && !strcmp (self->reqtypes[i].id, id))
            return &self->reqtypes[i];
    return NULL;
}

bool
opd_config_category_exists (const opd_config_t *self, const char *path)
{
    if (!path || !self->ncategories)
        return false;
    return bsearch (&path, self->categories, self->ncategories, sizeof (char *), s_str_cmp) != NULL;
}

bool
opd_category_under (const char *path, const char *ancestor)
{
    if (!path || !ancestor)
        return false;
    size_t n = strlen (ancestor);
    return strncmp (path, ancestor, n) == 0 && (path[n] == 0 || path[n] == '/');
}

int
opd_config_retention_days (const opd_config_t *self, const char *category)
{
    int days = self->retention_closed_days;
    size_t best = 0;
    for (size_t i = 0; category && i < self->nretention_rules; i++) {
        const opd_retention_rule_t *r = &self->retention_rules[i];
        if (opd_category_under (category, r->category) && strlen (r->category) > best) {
            best = strlen (r->category);
            days = r->days;
        }
    }
    return days;
}

static bool
s_eq (const char *want, const char *have)
{
    return !want || (have && !strcmp (want, have));
}

const opd_policy_t *
opd_config_policy_for (const opd_config_t *self, const opd_ticket_facts_t *t)
{
    for (size_t i = 0; i < self->npolicies; i++) {
        const opd_match_t *m = &self->policies[i].match;
        if (s_eq (m->priority, t->priority) && s_eq (m->kind, t->kind) && s_eq (m->team, t->team)
            && s_eq (m->channel, t->channel) && s_eq (m->request_type, t->request_type)
            && (!m->category || opd_category_under (t->category, m->category)))
            return &self->policies[i];
    }
    return NULL;
}

static int
s_level (const char *l)
{
    return !l ? -1 : !strcmp (l, "high") ? 0 : !strcmp (l, "medium") ? 1 : !strcmp (l, "low") ? 2 : -1;
}

const char *
opd_config_matrix_priority (const opd_config_t *self, const char *impact, const char *urgency)
{
    static const char *const names[] = {NULL, "P1", "P2", "P3", "P4"};
    int i = s_level (impact), u = s_level (urgency);
    if (!self->has_matrix || i < 0 || u < 0)
        return NULL;
    return names[self->priority_matrix[i][u]];
}

const char *
opd_config_locate (const char *from_args)
{
    if (from_args && *from_args)
        return from_args;
    const char *env = getenv ("OPDESK_CONFIG");
    if (env && *env)
        return env;
    if (access (OPD_DEFAULT_CONFIG, F_OK) == 0)
        return OPD_DEFAULT_CONFIG;
    //  Not installed: a program run from a clone's build/bin/ uses the demo
    //  configuration of that clone, deploy/opdesk.yaml.
    static char demo[4096];
    char exe[4096];
    ssize_t n = readlink ("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = 0;
        char *slash = strrchr (exe, '/');
        if (slash) {
            *slash = 0;
            snprintf (demo, sizeof demo, "%s/../../deploy/opdesk.yaml", exe);
            if (access (demo, F_OK) == 0)
                return demo;
        }
    }
    return OPD_DEFAULT_CONFIG;
}

int
opd_priority_rank (const char *p)
{
    if (p && p[0] == 'P' && p[1] >= '1' && p[1] <= '4' && p[2] == 0)
        return p[1] - '0';
    return 0;
}
