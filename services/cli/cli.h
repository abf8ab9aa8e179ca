/*  opdesk: the command-line tool (CONTRACT.md sections 1 and 8). An operator
    or agent submits, shows, lists, updates and comments on tickets, and runs
    an anonymisation pass by hand.

    Exit codes: 0 done; 1 refused (bad value, unknown ticket, workflow
    conflict, intake rejection); 2 bad command line or configuration, or a
    command that is not available yet; 3 intake or Redis did not answer. */
#ifndef OPD_CLI_H_INCLUDED
#define OPD_CLI_H_INCLUDED
#include "opd_config.h"
#include "opd_redis.h"
#include <jansson.h>
#include <stdbool.h>

#define CLI_OK 0
#define CLI_REFUSED 1
#define CLI_USAGE 2
#define CLI_UNAVAILABLE 3

//  One option as given: --name value, --name=value, or a flag (value NULL).
typedef struct {
    const char *name;
    const char *value;
} cli_opt_t;

typedef struct {
    const char *command;      //  "show", "slo", ...
    const char **pos;         //  positional arguments after the command
    int npos;
    cli_opt_t *opts;
    int nopts;
    bool json;                //  --json
    const char *config_path;  //  --config, or NULL
    opd_config_t *cfg;        //  loaded by cli_load
    opd_redis_t *redis;       //  created by cli_redis
} cli_t;

//  The last value of option name, or NULL.
const char *cli_opt (const cli_t *c, const char *name);
//  True when flag name was given.
bool cli_flag (const cli_t *c, const char *name);
//  Checks that every option is one of spec ("status:" takes a value,
//  "internal" is a flag), and that there are npos positionals. Prints the
//  problem and returns CLI_USAGE, else CLI_OK.
int cli_check (const cli_t *c, const char *const *spec, int npos, const char *usage);
//  The Redis connection, created on first use.
opd_redis_t *cli_redis (cli_t *c);

//  Output: a JSON value on stdout (takes the reference), an error line on
//  stderr (and with --json an {"error": {"code", "message"}} on stdout).
void cli_print_json (json_t *value);
int cli_fail (const cli_t *c, int exit_code, const char *code, const char *fmt, ...)
    __attribute__ ((format (printf, 4, 5)));
//  "a, b, c" of a NULL-terminated list, into buf.
const char *cli_join (const char *const *list, size_t n, char *buf, size_t size);
//  Reads a whole file ("-" = standard input); NULL on failure.
char *cli_read_file (const char *path);
//  The actor of changes: --as (a configured agent), $OPDESK_AGENT, "cli".
//  Returns NULL after printing the error when --as names no agent.
const char *cli_actor (const cli_t *c);

int cli_submit (cli_t *c);
int cli_show (cli_t *c);
int cli_list (cli_t *c);
int cli_update (cli_t *c);
int cli_comment (cli_t *c);
int cli_anonymise (cli_t *c);
int cli_hold (cli_t *c);
int cli_keys (cli_t *c);     //  keys destroy YEAR: a pseudonym key (cli_ticket.c)     //  hold ID --reason R | --lift: a legal hold (cli_ticket.c)
int cli_slo (cli_t *c);      //  slo report (cli_slo.c)
int cli_keygen (cli_t *c);   //  keygen NAME (cli_keygen.c); needs no configuration
int cli_coverage (cli_t *c); //  coverage (cli_rota.c)
int cli_absence (cli_t *c);  //  absence add|remove|list (cli_rota.c)
int cli_shift (cli_t *c);    //  shift add|remove|list: overrides of the rota (cli_rota.c)
int cli_oncall (cli_t *c);   //  oncall: who is on duty now (cli_rota.c)
int cli_staffing (cli_t *c); //  staffing: agents needed per hour of the week (cli_staffing.c)
int cli_rota (cli_t *c);     //  rota: who is on duty when (cli_rota.c)
int cli_route (cli_t *c);    //  route --explain: which rule and why (cli_route.c)

//  Field values from "--field k=v" for a request type: typed by the field's
//  definition and checked against it. Returns 0 and sets *value (new
//  reference; NULL for "k=" which removes the field), or -1 with err filled.
int cli_field_value (const opd_reqtype_t *rt, const char *name, const char *text, json_t **value,
                     bool strict, char *err, size_t errlen);
#endif
