/*  cli: the shared parts of the command-line tool: options, output, the
    actor, the Redis connection, and typing of custom field values. */
#include "cli.h"
#include "opd_change.h"
#include "opd_util.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *
cli_opt (const cli_t *c, const char *name)
{
    const char *v = NULL;
    for (int i = 0; i < c->nopts; i++)
        if (!strcmp (c->opts[i].name, name) && c->opts[i].value)
            v = c->opts[i].value;
    return v;
}

bool
cli_flag (const cli_t *c, const char *name)
{
    for (int i = 0; i < c->nopts; i++)
        if (!strcmp (c->opts[i].name, name))
            return true;
    return false;
}

int
cli_check (const cli_t *c, const char *const *spec, int npos, const char *usage)
{
    for (int i = 0; i < c->nopts; i++) {
        const char *n = c->opts[i].name;
        if (!strcmp (n, "json") || !strcmp (n, "config") || !strcmp (n, "help"))
            continue;
        bool known = false;
        for (int j = 0; spec && spec[j] && !known; j++) {
            size_t len = strlen (spec[j]);
            bool valued = spec[j][len - 1] == ':';
            if (valued)
                len--;
            if (strlen (n) == len && !strncmp (n, spec[j], len)) {
                known = true;
                if (!valued && c->opts[i].value) {
                    fprintf (stderr, "opdesk %s: --%s takes no value\nusage: %s\n", c->command, n, usage);
                    return CLI_USAGE;
                }
            }
        }
        if (!known) {
            fprintf (stderr, "opdesk %s: unknown option --%s\nusage: %s\n", c->command, n, usage);
            return CLI_USAGE;
        }
    }
    if (c->npos != npos) {
        fprintf (stderr, "opdesk %s: %s\nusage: %s\n", c->command,
                 c->npos < npos ? "a ticket id is needed" : "too many arguments", usage);
        return CLI_USAGE;
    }
    return CLI_OK;
}

opd_redis_t *
cli_redis (cli_t *c)
{
    if (!c->redis) {
        c->redis = opd_redis_new (c->cfg);
        opd_redis_set_timeout (c->redis, 5000);
    }
    return c->redis;
}

void
cli_print_json (json_t *value)
{
    char *text = json_dumps (value, JSON_INDENT (2) | JSON_ENCODE_ANY);
    if (text)
        printf ("%s\n", text);
    free (text);
    json_decref (value);
}

int
cli_fail (const cli_t *c, int exit_code, const char *code, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (msg, sizeof msg, fmt, ap);
    va_end (ap);
    fprintf (stderr, "opdesk: %s\n", msg);
    if (c && c->json)
        cli_print_json (json_pack ("{s:{s:s, s:s}}", "error", "code", code, "message", msg));
    return exit_code;
}

const char *
cli_join (const char *const *list, size_t n, char *buf, size_t size)
{
    buf[0] = 0;
    for (size_t i = 0; i < n && list[i]; i++)
        snprintf (buf + strlen (buf), size - strlen (buf), "%s%s", i ? ", " : "", list[i]);
    if (!buf[0])
        snprintf (buf, size, "none");
    return buf;
}

char *
cli_read_file (const char *path)
{
    FILE *f = strcmp (path, "-") ? fopen (path, "rb") : stdin;
    if (!f)
        return NULL;
    size_t cap = 4096, len = 0;
    char *buf = malloc (cap);
    while (buf) {
        if (len + 1 >= cap) {
            char *bigger = realloc (buf, cap *= 2);
            if (!bigger) {
                free (buf);
                buf = NULL;
                break;
            }
            buf = bigger;
        }
        size_t n = fread (buf + len, 1, cap - len - 1, f);
        if (n == 0)
            break;
        len += n;
    }
    if (buf)
        buf[len] = 0;
    if (f != stdin)
        fclose (f);
    return buf;
}

const char *
cli_actor (const cli_t *c)
{
    const char *as = cli_opt (c, "as");
    if (as) {
        if (opd_config_agent (c->cfg, as))
            return as;
        char list[1024] = "";
        for (size_t i = 0; i < c->cfg->nagents; i++)
            snprintf (list + strlen (list), sizeof list - strlen (list), "%s%s", i ? ", " : "",
                      c->cfg->agents[i].id);
        cli_fail (c, CLI_REFUSED, "invalid", "--as: unknown agent '%s'; configured agents: %s", as,
                  list[0] ? list : "none");
        return NULL;
    }
    const char *env = getenv ("OPDESK_AGENT");
    return env && *env ? env : "cli";
}

int
cli_field_value (const opd_reqtype_t *rt, const char *name, const char *text, json_t **value,
                 bool strict, char *err, size_t errlen)
{
    if (opd_field_from_text (rt, name, text, value, err, errlen))
        return -1;
    if (strict && opd_field_check (rt, name, *value, err, errlen)) {
        json_decref (*value);
        *value = NULL;
        return -1;
    }
    return 0;
}
