/*  opdesk: the command-line tool. See cli.h and README.md in this folder. */
#include "cli.h"
#include "opd_log.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *s_usage =
    "opdesk: the opdesk service desk from the command line\n\n"
    "usage: opdesk [--config FILE] [--json] COMMAND [ARGS]\n\n"
    "commands:\n"
    "  submit --subject S (--email E | --phone P) [--name N] [--body B | --body-file F]\n"
    "         [--priority P1..P4 | --impact I --urgency U] [--category C] [--kind K]\n"
    "         [--request-type T] [--field K=V ...] [--channel api] [--external-id X]\n"
    "         [--reply-to ID] [--timeout SECONDS]\n"
    "  show ID\n"
    "  list [--status S] [--team T] [--priority P] [--assignee A] [--requester EMAIL]\n"
    "       [--q WORDS] [--sort due|created] [--breaching] [--due-within MINUTES]\n"
    "       [--limit N] [--cursor C]\n"
    "  update ID [--status S] [--priority P] [--severity SEV] [--category C]\n"
    "            [--team T --note N] [--assignee A] [--field K=V ...] [--as AGENT] [--note N]\n"
    "            (--status resolved needs --note; an assignee is any configured agent)\n"
    "  comment ID (--body B | --body-file F) [--internal] [--as AGENT] [--standard-response ID]\n"
    "  anonymise [--dry-run]   one retention pass now (--dry-run only lists)\n"
    "  anonymise --ticket ID   one closed ticket now, whatever its retention (erasure request)\n"
    "  anonymise --receipt N   prints run N's receipt and verifies its signature (exit 1: it does not)\n"
    "  hold ID (--reason R | --lift) [--as AGENT]   a legal hold keeps a ticket from the anonymiser\n"
    "  keys destroy YEAR       destroys a year's pseudonym key: its pseudonyms become anonymous\n"
    "  keys receipt-key FILE   makes the key that signs receipts (retention.receipt_key)\n"
    "  slo report [--from T] [--to T] [--group-by priority|team|policy]\n"
    "             [--compare previous | --compare FROM..TO]\n"
    "  coverage [--from T] [--to T] [--team TEAM]   on-duty gaps against working hours\n"
    "  absence add --agent A --kind annual_leave|sickness|other --from T --to T\n"
    "      prints the id; the gaps it opens and the tickets a sickness hands back on stderr\n"
    "  absence remove ID | absence list [--agent A] [--team TEAM] [--from T] [--to T]\n"
    "  shift add --agent A --team TEAM --from T --to T [--kind extra|remove]\n"
    "  shift remove ID | shift list [--team TEAM] [--from T] [--to T]\n"
    "  oncall [--team TEAM]   who is on duty now\n"
    "  staffing [--team TEAM] [--weeks N]   agents needed per hour of the week (Erlang C, backlog)\n"
    "  rota [--from T] [--to T] [--team TEAM]   who is on duty when (default: 7 days)\n"
    "  route --explain (--subject S [--body B] | ID)   which routing rule matches and why\n"
    "  keygen NAME [--dir DIR]   a CURVE key pair: DIR/NAME.key, DIR/NAME.key_secret\n\n"
    "  --config FILE  the configuration (else $OPDESK_CONFIG, else " OPD_DEFAULT_CONFIG ",\n"
    "                 else deploy/opdesk.yaml of the clone this binary was built in)\n"
    "  --json         print JSON for scripts\n"
    "  --help, --version\n\n"
    "Changes are made as --as AGENT, else $OPDESK_AGENT, else 'cli'.\n"
    "Exit codes: 0 done, 1 refused, 2 bad usage or configuration, 3 intake or Redis unavailable.\n";

//  Options that take a value (--name VALUE or --name=VALUE); the rest are flags.
static const char *const s_valued[] = {
    "config", "body", "body-file", "subject", "email", "name", "phone", "priority", "impact",
    "urgency", "category", "kind", "request-type", "field", "channel", "external-id", "reply-to",
    "timeout", "dir", "status", "team", "assignee", "requester", "q", "sort", "limit", "cursor",
    "severity", "note", "as", "standard-response", "due-within", "from", "to", "group-by", "compare", "agent", "weeks", "reason", "ticket", "receipt", NULL};

static bool
s_takes_value (const char *name)
{
    for (int i = 0; s_valued[i]; i++)
        if (!strcmp (s_valued[i], name))
            return true;
    return false;
}

int
main (int argc, char **argv)
{
    opd_log_init ("opdesk", OPD_LOG_WARN);
    cli_t c = {0};
    c.pos = calloc ((size_t) argc, sizeof (char *));
    c.opts = calloc ((size_t) argc, sizeof (cli_opt_t));
    if (!c.pos || !c.opts)
        return CLI_UNAVAILABLE;
    bool help = false;
    int rc = CLI_OK;
    for (int i = 1; i < argc && rc == CLI_OK; i++) {
        const char *a = argv[i];
        if (!strcmp (a, "-h"))
            a = "--help";
        if (strncmp (a, "--", 2) || !a[2]) {
            if (!c.command)
                c.command = a;
            else
                c.pos[c.npos++] = a;
            continue;
        }
        const char *name = a + 2;
        const char *eq = strchr (name, '=');
        cli_opt_t *o = &c.opts[c.nopts];
        if (eq) {
            o->name = strndup (name, (size_t) (eq - name));
            o->value = eq + 1;
        }
        else {
            o->name = strdup (name);
            if (s_takes_value (name)) {
                if (i + 1 >= argc) {
                    fprintf (stderr, "opdesk: --%s needs a value (try --help)\n", name);
                    rc = CLI_USAGE;
                }
                else
                    o->value = argv[++i];
            }
        }
        c.nopts++;
        if (!strcmp (o->name, "version")) {
            printf ("opdesk %s\n", OPD_VERSION);
            goto done;
        }
        if (!strcmp (o->name, "help"))
            help = true;
        else if (!strcmp (o->name, "json"))
            c.json = true;
        else if (!strcmp (o->name, "config"))
            c.config_path = o->value;
    }
    if (rc != CLI_OK)
        goto done;
    if (help || !c.command) {
        fputs (s_usage, help ? stdout : stderr);
        rc = help ? CLI_OK : CLI_USAGE;
        goto done;
    }
    //  A key pair is made before there is any configuration to name it in.
    if (!strcmp (c.command, "keygen")) {
        rc = cli_keygen (&c);
        goto done;
    }
    char err[512];
    const char *path = opd_config_locate (c.config_path);
    c.cfg = opd_config_load (path, err, sizeof err);
    if (!c.cfg) {
        fprintf (stderr, "opdesk: configuration %s: %s\n", path, err);
        rc = CLI_USAGE;
        goto done;
    }
    static const struct {
        const char *name;
        int (*run) (cli_t *);
    } commands[] = {{"submit", cli_submit}, {"show", cli_show}, {"list", cli_list},
                    {"update", cli_update}, {"comment", cli_comment},
                    {"anonymise", cli_anonymise}, {"anonymize", cli_anonymise}, {"hold", cli_hold}, {"keys", cli_keys},
                    {"slo", cli_slo}, {"coverage", cli_coverage}, {"absence", cli_absence},
                    {"shift", cli_shift}, {"oncall", cli_oncall}, {"rota", cli_rota},
                    {"route", cli_route}, {"staffing", cli_staffing}};
    rc = -1;
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp (c.command, commands[i].name))
            rc = commands[i].run (&c);
    if (rc == -1)
        rc = cli_fail (&c, CLI_USAGE, "usage", "unknown command '%s' (try --help)", c.command);
done:
    for (int i = 0; i < c.nopts; i++)
        free ((char *) c.opts[i].name);
    free (c.opts);
    free (c.pos);
    opd_redis_destroy (&c.redis);
    opd_config_destroy (&c.cfg);
    return rc;
}
