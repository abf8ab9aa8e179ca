/*  opd_config: the configuration file, declared once as a table.

    Every key of the file is one row of opd_cfg_keys (opd_config_keys.c),
    in the manner of Redis's static_configs: its dotted path, its type,
    where it goes in opd_config_t, its default, its bounds or allowed
    values, whether a SIGHUP applies it or only a restart, and a one-line description.
    docs/configuration.md is generated from the same rows (opd_config_doc,
    `make config-doc`; a ctest fails when the two differ).

    Loading walks the table, not the file: each row is looked up in the
    YAML map it belongs to, read by its type's reader, defaulted, bounded,
    then handed to the row's check. A key in the file that no row declares
    is an error naming its path ("channels.web.colour: unknown key"), so a
    typo never falls back to a default silently.

    The shape of a path: "redis.port" is a key of the map "redis"; a row of
    kind K_ITEMS ("teams") is a list of maps whose keys are the rows
    "teams[].id", ...; a row of kind K_MAPOF ("calendars") is a map of maps
    keyed by a name, whose keys are "calendars.*.timezone", .... Children
    follow their parent directly in the table, in the order they are read:
    a check may rely on every row above it (a team's calendar must exist,
    so calendars come before teams).

    Adding a key: add one row under its parent, e.g.
        {"teams[].max_open", K_INT, IN (opd_team_t, max_open), .def = "50",
         .min = 1, .max = 10000, .doc = "open tickets a team takes at most"},
    with a field in opd_config.h, then run `make config-doc`. What a text
    must be (an email address, a time zone, a team that exists) is its
    format, .is = F_*; another rule on one value goes in .check; a rule
    between keys goes in the check of their section or list item
    (opd_cfg_*_done), or in opd_cfg_finish. A restart-only key says
    RESTART, and opd_config_restart_changes names it when a SIGHUP changes
    it.

    Reading order: the table (opd_config_keys.c), the walk and the formats
    (opd_config_walk.c: opd_cfg_children, s_entry), then the checks and the
    few rows read by their own function (opd_config_checks.c: calendar
    hours, the category tree, retention per category; opd_config_secrets.c:
    the files of secrets and CURVE keys). opd_config_int.h lists the files
    and what they share; this file holds loading, freeing and the public
    look-ups.

    Every error names the key by its path, on one line. The size of the
    document with its aliases expanded is bounded before the walk
    (opd_config_bounds.c). */
#include "opd_config_int.h"

//  --- loading -------------------------------------------------------------------

//  A key given twice in one map is an error naming it: YAML wants keys
//  unique, and loaders differ on which copy wins (libyaml's document keeps
//  both, the walk would read the first; most others keep the last), so a
//  second copy would be a value nobody checked. Run after the size check,
//  which bounds the walk through aliases.
static bool
s_unique_keys (ctx_t *c, yaml_node_t *n, const char *path, int depth)
{
    char sub[512];
    if (!n || depth > 64)
        return true;
    if (n->type == YAML_SEQUENCE_NODE) {
        for (yaml_node_item_t *i = n->data.sequence.items.start; i < n->data.sequence.items.top; i++) {
            snprintf (sub, sizeof sub, "%s[%zu]", path, (size_t) (i - n->data.sequence.items.start));
            if (!s_unique_keys (c, opd_cfg_node (c, *i), sub, depth + 1))
                return false;
        }
        return true;
    }
    if (n->type != YAML_MAPPING_NODE)
        return true;
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        const char *key = opd_cfg_text (opd_cfg_node (c, p->key));
        opd_cfg_path (sub, sizeof sub, path, key ? key : "?");
        for (yaml_node_pair_t *q = n->data.mapping.pairs.start; key && q < p; q++) {
            const char *other = opd_cfg_text (opd_cfg_node (c, q->key));
            if (other && !strcmp (other, key))
                return opd_cfg_fail (c, sub, "given twice in the same map (YAML keys are unique)");
        }
        if (!s_unique_keys (c, opd_cfg_node (c, p->value), sub, depth + 1))
            return false;
    }
    return true;
}

static bool
s_load (ctx_t *c, yaml_node_t *root)
{
    if (!root)
        return opd_cfg_fail (c, "", "the file is empty");
    return opd_cfg_known_keys (c, NULL, root, "") && opd_cfg_check_size (c, root) && s_unique_keys (c, root, "", 0)
           && opd_cfg_children (c, NULL, root, "", (char *) c->cfg) && opd_cfg_finish (c);
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
    free (c.password_file);
    explicit_bzero (&c.client, sizeof c.client);
    explicit_bzero (&c.ssec, sizeof c.ssec);
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

//  Frees what the rows under parent (NULL: the top level) own in base.
static void
s_release (const entry_t *parent, char *base)
{
    char prefix[256];
    opd_cfg_child_prefix (prefix, sizeof prefix, parent);
    const entry_t *end = opd_cfg_subtree_end (parent);
    for (const entry_t *e = parent ? parent + 1 : opd_cfg_keys; e < end; e++) {
        if (!opd_cfg_child_name (e, prefix))
            continue;
        if (e->release)
            e->release (base, e);
        if (e->kind == K_STR || e->kind == K_ENUM)
            free (*opd_cfg_str_at (base, e));
        else if (e->kind == K_LIST)
            opd_cfg_free_list (*FIELD (char **, base, e), *COUNT (base, e));
        else if (e->kind == K_SECTION)
            s_release (e, base);
        else if (e->kind == K_ITEMS || e->kind == K_MAPOF) {
            char *items = *FIELD (char *, base, e);
            for (size_t i = 0; i < *COUNT (base, e); i++) {
                if (e->kind == K_MAPOF)
                    free (*(char **) (void *) (items + i * e->size + e->id_off));
                s_release (e, items + i * e->size);
            }
            free (items);
        }
    }
}

void
opd_config_destroy (opd_config_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    s_release (NULL, (char *) *self_p);
    free ((*self_p)->path);
    free (*self_p);
    *self_p = NULL;
}

//  --- what a SIGHUP cannot apply ------------------------------------------------

int
opd_config_restart_changes (const opd_config_t *old, const opd_config_t *new_cfg, char *buf,
                            size_t size)
{
    int changed = 0;
    size_t len = 0;
    buf[0] = 0;
    for (const entry_t *e = opd_cfg_keys; e->path; e++) {
        if (!(e->flags & RESTART) || strpbrk (e->path, "[*"))
            continue;  //  only rows of opd_config_t itself are compared
        const char *a = (const char *) old + e->off, *b = (const char *) new_cfg + e->off;
        bool differ;
        if (e->kind == K_STR || e->kind == K_ENUM) {
            const char *sa = *(char *const *) (const void *) a;
            const char *sb = *(char *const *) (const void *) b;
            differ = (!sa != !sb) || (sa && strcmp (sa, sb));
        }
        else
            differ = memcmp (a, b, e->size) != 0;
        if (differ && len < size)
            len += (size_t) snprintf (buf + len, size - len, "%s%s", changed ? ", " : "", e->path);
        changed += differ;
    }
    return changed;
}

//  The item of items (count of size bytes) whose char * at id_off is id.
static const void *
s_find (const void *items, size_t count, size_t size, size_t id_off, const char *id)
{
    for (size_t i = 0; id && i < count; i++) {
        const char *item = (const char *) items + i * size;
        const char *have = *(char *const *) (const void *) (item + id_off);
        if (have && !strcmp (have, id))
            return item;
    }
    return NULL;
}

#define FIND(T, arr, n) ((const T *) s_find (self->arr, self->n, sizeof (T), offsetof (T, id), id))

const opd_calendar_t *
opd_config_calendar (const opd_config_t *self, const char *id)
{
    return FIND (opd_calendar_t, calendars, ncalendars);
}

const opd_team_t *
opd_config_team (const opd_config_t *self, const char *id)
{
    return FIND (opd_team_t, teams, nteams);
}

const opd_agent_t *
opd_config_agent (const opd_config_t *self, const char *id)
{
    return FIND (opd_agent_t, agents, nagents);
}

const opd_agent_t *
opd_config_agent_by_email (const opd_config_t *self, const char *email)
{
    for (size_t i = 0; email && i < self->nagents; i++)
        if (self->agents[i].email && !g_ascii_strcasecmp (self->agents[i].email, email))
            return &self->agents[i];
    return NULL;
}

bool
opd_config_desk_address (const opd_config_t *self, const char *email)
{
    if (!email)
        return false;
    if (self->smtp_from && !g_ascii_strcasecmp (self->smtp_from, email))
        return true;
    for (size_t i = 0; i < self->nemail_addresses; i++)
        if (!g_ascii_strcasecmp (self->email_addresses[i], email))
            return true;
    return false;
}

const opd_stdresp_t *
opd_config_stdresp (const opd_config_t *self, const char *id)
{
    return FIND (opd_stdresp_t, stdresps, nstdresps);
}

const opd_reqtype_t *
opd_config_reqtype (const opd_config_t *self, const char *id)
{
    return FIND (opd_reqtype_t, reqtypes, nreqtypes);
}

bool
opd_config_category_exists (const opd_config_t *self, const char *path)
{
    if (!path || !self->ncategories)
        return false;
    return bsearch (&path, self->categories, self->ncategories, sizeof (char *), opd_cfg_str_cmp)
           != NULL;
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
