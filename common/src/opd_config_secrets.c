/*  opd_config_secrets: the keys that name files of secrets (the Redis
    password, the agent mail secret, the CURVE certificates), the rules on
    secrets outside the demo, and the rules between sections read apart
    (opd_cfg_finish). */
#include "opd_config_int.h"

bool
opd_cfg_password_file (ctx_t *c, yaml_node_t *n, const char *path, char *base, const entry_t *e)
{
    const char *file = opd_cfg_custom_text (c, n, path);
    if (file)
        c->password_file = opd_strdup (file);
    return !c->failed;
}

//  channels.email.agent_mail.secret_file: its text, trimmed, is the secret.
bool
opd_cfg_secret_file (ctx_t *c, yaml_node_t *n, const char *path, char *base, const entry_t *e)
{
    const char *file = opd_cfg_custom_text (c, n, path);
    if (!file)
        return !c->failed;
    if (c->cfg->agent_mail_secret)
        return opd_cfg_fail (c, path, "cannot be given with secret");
    gchar *text = NULL;
    if (!g_file_get_contents (file, &text, NULL, NULL))
        return opd_cfg_fail (c, path, "cannot be read");
    c->cfg->agent_mail_secret = opd_strdup (g_strstrip (text));
    g_free (text);
    return true;
}

//  --- redis: a user per service, the password from a file ---------------------

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

//  Reads the password from path now, without the blanks around it. Errors
//  name the file, never what it holds. Non-blocking, and a regular file
//  only: a FIFO or a device must not hang the loader (a reload runs in the
//  service's loop).
static bool
s_read_password (ctx_t *c, const char *path)
{
    static const char *const key = "redis.password_file";
    int fd = open (path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    char buf[1024];
    ssize_t len = -1;
    if (fd >= 0 && fstat (fd, &st) == 0 && !S_ISREG (st.st_mode)) {
        close (fd);
        return opd_cfg_fail (c, key, "%s is not a regular file", path);
    }
    if (fd >= 0)
        len = read (fd, buf, sizeof buf - 1);
    int saved = errno;
    if (fd >= 0)
        close (fd);
    if (len < 0)
        return opd_cfg_fail (c, key, "cannot read %s: %s", path, strerror (saved));
    buf[len] = 0;
    char *start = buf, *end = buf + len;
    while (*start && strchr (" \t\r\n", *start))
        start++;
    while (end > start && strchr (" \t\r\n", end[-1]))
        *--end = 0;
    bool ok = true;
    if (!*start)
        ok = opd_cfg_fail (c, key, "%s is empty", path);
    else if (strlen (start) != (size_t) (end - start) || strpbrk (start, "\r\n"))
        ok = opd_cfg_fail (c, key, "%s must hold the password on one line", path);
    else {
        c->cfg->redis_password = opd_strdup (start);
        c->password_from_file = true;
    }
    explicit_bzero (buf, sizeof buf);
    return ok;
}

//  redis: {service} in the user name, and the password from its file.
bool
opd_cfg_redis_done (ctx_t *c, const char *path, char *base, const entry_t *e)
{
    opd_config_t *cfg = c->cfg;
    if (cfg->redis_username) {
        char *name = s_expand_service (cfg->redis_username);
        free (cfg->redis_username);
        cfg->redis_username = name;
        if (!*name || strpbrk (name, " \t\r\n"))
            return opd_cfg_fail (c, "redis.username", "must be a name without blanks");
    }
    if (!c->password_file) {
        if (cfg->redis_username && !cfg->redis_password)
            return opd_cfg_fail (c, "redis.username",
                                 "needs redis.password_file (or redis.password)");
        return true;
    }
    if (cfg->redis_password)
        return opd_cfg_fail (c, "redis.password_file",
                       "give redis.password or redis.password_file, not both");
    char *file = s_expand_service (c->password_file);
    bool ok = s_read_password (c, file);
    free (file);
    return ok;
}

//  --- curve: ZeroMQ CURVE on the intake and events sockets -----------------
//  The key files are read here, so that a missing or broken key stops every
//  program at start with its key named, and a SIGHUP re-reads them. A
//  relative path is relative to the folder of the configuration file.

static char *
s_beside_config (ctx_t *c, const char *file)
{
    const char *slash = strrchr (c->cfg->path, '/');
    if (file[0] == '/' || !slash)
        return opd_strdup (file);
    return opd_sprintf ("%.*s/%s", (int) (slash - c->cfg->path), c->cfg->path, file);
}

//  curve.*_file: the certificate into the context, until opd_cfg_curve_done.
bool
opd_cfg_curve_cert (ctx_t *c, yaml_node_t *n, const char *path, char *base, const entry_t *e)
{
    bool server_public = !strcmp (e->path, "curve.server_public_file");
    bool client = !strcmp (e->path, "curve.client_secret_file");
    opd_cert_t *cert = server_public ? &c->spub : client ? &c->client : &c->ssec;
    bool *given = server_public ? &c->has_spub : client ? &c->has_client : &c->has_ssec;
    const char *file = opd_cfg_custom_text (c, n, path);
    if (!file) {
        if (!c->failed && (e->flags & REQUIRED) && c->in_map)
            return opd_cfg_fail (c, path, "is required");
        return !c->failed;
    }
    char err[400], *full = s_beside_config (c, file);
    int rc = opd_cert_load (full, !server_public, cert, err, sizeof err);
    free (full);
    *given = true;
    return rc ? opd_cfg_fail (c, path, "%s", err) : true;
}

//  The folder of allow-listed client certificates (opdesk-intake's zauth).
bool
opd_cfg_clients_dir (ctx_t *c, const char *path, char *base, const entry_t *e)
{
    char **dir = opd_cfg_str_at (base, e), *full = s_beside_config (c, *dir);
    free (*dir);
    *dir = full;
    struct stat st;
    if (stat (full, &st) || !S_ISDIR (st.st_mode))
        return opd_cfg_fail (c, path, "'%s' is not a folder", full);
    return true;
}

bool
opd_cfg_curve_done (ctx_t *c, const char *path, char *base, const entry_t *e)
{
    if (!c->has_spub)
        return true;  //  no curve block
    if (c->has_ssec && strcmp (c->ssec.public_key, c->spub.public_key))
        return opd_cfg_fail (c, "curve.server_public_file",
                       "is not the public key of curve.server_secret_file");
    //  intake needs both halves of its side; other hosts need neither.
    if (c->has_ssec != (c->cfg->curve_clients_dir != NULL))
        return opd_cfg_fail (c, c->has_ssec ? "curve.clients_dir" : "curve.server_secret_file",
                       "is required with curve.%s",
                       c->has_ssec ? "server_secret_file" : "clients_dir");
    opd_curve_t *cv = &c->cfg->curve;
    cv->enabled = true;
    memcpy (cv->server_public, c->spub.public_key, sizeof cv->server_public);
    memcpy (cv->server_secret, c->ssec.secret_key, sizeof cv->server_secret);
    memcpy (cv->client_public, c->client.public_key, sizeof cv->client_public);
    memcpy (cv->client_secret, c->client.secret_key, sizeof cv->client_secret);
    return true;
}

void
opd_cfg_curve_free (char *base, const entry_t *e)
{
    opd_curve_wipe (&((opd_config_t *) (void *) base)->curve);
}

//  --- secrets outside the demo --------------------------------------------------

//  A secret still a placeholder of the shipped files ("change-me-agent").
static bool
s_placeholder (const char *secret)
{
    char *lower = g_ascii_strdown (secret, -1);
    bool is = strstr (lower, "change-me") || strstr (lower, "changeme");
    g_free (lower);
    return is;
}

//  One secret outside the demo: not a placeholder, and when opdesk checks it
//  itself (checked_length), at least MIN_SECRET_CHARS long. NULL: not set.
static bool
s_real_secret (ctx_t *c, const char *path, const char *secret, bool checked_length)
{
    if (secret && s_placeholder (secret))
        return opd_cfg_fail (c, path,
                       "is still a change-me placeholder; set a secret of at least %d characters "
                       "(only a demo on loopback may keep it)",
                       MIN_SECRET_CHARS);
    if (secret && checked_length && strlen (secret) < MIN_SECRET_CHARS)
        return opd_cfg_fail (c, path,
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

//  demo: true is refused unless everything listens and connects on
//  loopback; without a demo key, a configuration on loopback is a demo (so
//  that the example of CONTRACT.md section 6 keeps working) and any other
//  is not.
static bool
s_demo_done (ctx_t *c)
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
        return opd_cfg_fail (c, "demo",
                       "a demo configuration runs on loopback only, and %s is not "
                       "(remove demo: true and set real secrets to listen elsewhere)",
                       exposed);
    if (!c->demo_given)
        cfg->demo = !exposed;
    return true;
}

//  Outside the demo, every secret must be a real one: not a change-me
//  placeholder, and the ones opdesk checks (tokens, webhook and phone
//  secrets) at least MIN_SECRET_CHARS long; passwords of other systems only
//  must not be placeholders. Errors name the key, never the secret.
static bool
s_check_secrets (ctx_t *c)
{
    opd_config_t *cfg = c->cfg;
    if (!s_demo_done (c))
        return false;
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

//  What the rows cannot say: defaults computed from other keys, and rules
//  between sections read apart.
//  True when agent is a member of team.
static bool
s_agent_in (const opd_config_t *cfg, const char *agent, const char *team)
{
    for (size_t i = 0; i < cfg->nagents; i++)
        for (size_t j = 0; !strcmp (cfg->agents[i].id, agent) && j < cfg->agents[i].nteams; j++)
            if (!strcmp (cfg->agents[i].teams[j], team))
                return true;
    return false;
}

//  routing_rules: request types exist; an assignee is in the team the rule
//  routes to (its own, else default_team).
static bool
s_rules_finish (ctx_t *c)
{
    opd_config_t *cfg = c->cfg;
    char path[128];
    for (size_t i = 0; i < cfg->nrules; i++) {
        const opd_rule_t *r = &cfg->rules[i];
        for (size_t j = 0; j < r->nrequest_types; j++) {
            snprintf (path, sizeof path, "routing_rules[%zu].when.request_type", i);
            if (!opd_config_reqtype (cfg, r->request_types[j]))
                return opd_cfg_fail (c, path, "unknown request type '%s'", r->request_types[j]);
        }
        const char *team = r->team ? r->team : cfg->default_team;
        snprintf (path, sizeof path, "routing_rules[%zu].then.assignee", i);
        if (r->assignee && (!team || !s_agent_in (cfg, r->assignee, team)))
            return opd_cfg_fail (c, path, "agent '%s' is not in team '%s', where rule '%s' routes", r->assignee,
                                 team ? team : "(none)", r->name);
    }
    return true;
}

bool
opd_cfg_finish (ctx_t *c)
{
    opd_config_t *cfg = c->cfg;
    if (!cfg->default_team && cfg->nteams)
        cfg->default_team = opd_strdup (cfg->teams[0].id);
    for (size_t i = 0; i < cfg->npolicies; i++) {
        const char *rt = cfg->policies[i].match.request_type;
        if (rt && !opd_config_reqtype (cfg, rt)) {
            char path[128];
            snprintf (path, sizeof path, "slo_policies[%zu].match", i);
            return opd_cfg_fail (c, path, "unknown request type '%s'", rt);
        }
    }
    return s_rules_finish (c) && s_check_secrets (c);
}
