/*  opd_redis: one Redis connection with timeouts, lazy reconnection and the
    project's server-side scripts. Every change to ticket state goes through
    one of the scripts (common/lua/), so that no reader ever sees half a ticket.

    Calls return a redisReply the caller frees with freeReplyObject, or NULL
    when Redis cannot be reached; opd_redis_error then says why. */
#ifndef OPD_REDIS_H_INCLUDED
#define OPD_REDIS_H_INCLUDED
#include "opd_config.h"
#include <hiredis/hiredis.h>
#include <stdarg.h>
#include <stdbool.h>

typedef enum {
    OPD_SCRIPT_CREATE,      //  intake: store a new ticket or a reply, idempotently
    OPD_SCRIPT_ROUTE,       //  router: team, category, priority
    OPD_SCRIPT_ARM,         //  slo: write computed clocks and their timers
    OPD_SCRIPT_FIRE,        //  slo: fire one warning or breach timer, once
    OPD_SCRIPT_COMMENT,     //  cli/web: add a comment, mark clocks met
    OPD_SCRIPT_UPDATE,      //  cli/web: status and field changes, the workflow
    OPD_SCRIPT_ANONYMISE,   //  anonymiser: replace personal data
    OPD_SCRIPT_OUTBOX_DONE, //  notifier: a job is finished (sent or given up)
    OPD_SCRIPT_OUTBOX_RETRY,//  notifier: a job failed, try again later
    OPD_SCRIPT_OUTBOX_PROMOTE, //  notifier: retries that are due go back to ready
    OPD_SCRIPT_EMIT,        //  slo: record an event no ticket script emits (slo.burn), once
    OPD_SCRIPT_HOLD,        //  cli/web: set or lift a legal hold (keeps a ticket from the anonymiser)
    OPD_SCRIPT_PSEUDO_DESTROY, //  anonymiser/cli: a period's pseudonym key is destroyed
    OPD_SCRIPT_RATE,        //  web: the requester's satisfaction rating of a resolved ticket
    OPD_SCRIPT_ATTACH,      //  web: an uploaded attachment's metadata joins the ticket
    OPD_SCRIPT_MIGRATE,     //  every service, on connecting: an older layout of the keys to this one
    OPD_SCRIPT_LINK,        //  anonymiser, once: links of tickets threaded before they were recorded
    OPD_SCRIPT_COUNT
} opd_script_t;

//  An argument list for scripts and commands; it owns copies of what is added.
typedef struct {
    char **v;
    size_t *len;
    int n, cap;
} opd_args_t;
void opd_args_init (opd_args_t *a);
void opd_args_add (opd_args_t *a, const char *s);          //  NULL adds ""
void opd_args_addn (opd_args_t *a, const char *s, size_t len);
void opd_args_addi (opd_args_t *a, long long v);
void opd_args_addf (opd_args_t *a, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
void opd_args_free (opd_args_t *a);

typedef struct _opd_redis_t opd_redis_t;

//  Creates a client for the configured Redis; connects on first use.
opd_redis_t *opd_redis_new (const opd_config_t *cfg);
void opd_redis_destroy (opd_redis_t **self_p);
//  Connects now if needed; 0 when connected, -1 otherwise.
int opd_redis_connect (opd_redis_t *self);
//  Command and read timeout in ms (default 5000).
void opd_redis_set_timeout (opd_redis_t *self, int ms);
redisReply *opd_redis_command (opd_redis_t *self, const char *fmt, ...);
redisReply *opd_redis_argv (opd_redis_t *self, const opd_args_t *args);
//  Runs script (FCALL of its function) with args as ARGV (no KEYS: see proto/keys.md).
redisReply *opd_redis_script (opd_redis_t *self, opd_script_t script, const opd_args_t *args);
//  Pipelining: append several scripts, then read their replies in order.
int opd_redis_append_script (opd_redis_t *self, opd_script_t script, const opd_args_t *args);
redisReply *opd_redis_get_reply (opd_redis_t *self);
//  Pipelining of plain commands (HMGET and the like): append, then read
//  with opd_redis_get_reply. Returns 0, or -1 when Redis cannot be reached.
int opd_redis_append_argv (opd_redis_t *self, const opd_args_t *args);
const char *opd_redis_error (opd_redis_t *self);
//  Drops the connection (after an error in a pipeline, say).
void opd_redis_disconnect (opd_redis_t *self);
//  For loops that retry: opd_redis_failed logs the first failure of an
//  outage (what was being done, and detail, else the last error) and drops
//  the connection; opd_redis_recovered logs the end of an outage. Each logs
//  once per outage; opd_redis_is_down says whether one is going on.
void opd_redis_failed (opd_redis_t *self, const char *what, const char *detail);
void opd_redis_recovered (opd_redis_t *self);
bool opd_redis_is_down (const opd_redis_t *self);
//  The function library opdesk (every script, common/embed_lua.cmake), and
//  the name a script is registered under in it (FCALL NAME 0 ARGV...).
const char *opd_redis_library_source (void);
const char *opd_redis_script_name (opd_script_t script);

//  Reply helpers: the element i of an array reply as text or integer.
const char *opd_reply_str (const redisReply *r, size_t i);
long long opd_reply_int (const redisReply *r, size_t i);
#endif
