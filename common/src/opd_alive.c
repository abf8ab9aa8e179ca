/*  opd_alive: see opd_alive.h. */
#include "opd_alive.h"
#include "opd_log.h"
#include "opd_util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct _opd_alive_t {
    opd_redis_t *redis;
    char key[64];
    char instance[128];  //  HOST:PID, the value of the key
    int64_t last_at;     //  monotonic ms of the last attempt, 0 before the first
    bool written;        //  the key was set at least once
};

opd_alive_t *
opd_alive_new (const opd_config_t *cfg, const char *name)
{
    opd_alive_t *self = opd_calloc (1, sizeof *self);
    if (!strncmp (name, "opdesk-", 7))
        name += 7;
    snprintf (self->key, sizeof self->key, "%s%s", OPD_ALIVE_KEY, name);
    char host[64] = "";
    if (gethostname (host, sizeof host - 1))
        snprintf (host, sizeof host, "unknown");
    snprintf (self->instance, sizeof self->instance, "%s:%ld", host, (long) getpid ());
    opd_alive_set_config (self, cfg);
    return self;
}

void
opd_alive_set_config (opd_alive_t *self, const opd_config_t *cfg)
{
    opd_redis_destroy (&self->redis);
    self->redis = opd_redis_new (cfg);
    //  A beat must never hold a loop for long; the next one comes in a second.
    opd_redis_set_timeout (self->redis, OPD_ALIVE_EVERY_MS);
}

int
opd_alive_beat (opd_alive_t *self)
{
    int64_t now = opd_mono_ms ();
    if (self->last_at && now - self->last_at < OPD_ALIVE_EVERY_MS)
        return 0;
    self->last_at = now;
    redisReply *r = opd_redis_command (self->redis, "SET %s %s PX %d", self->key, self->instance,
                                       OPD_ALIVE_TTL_MS);
    bool ok = r && r->type != REDIS_REPLY_ERROR;
    if (r)
        freeReplyObject (r);
    if (!ok) {
        opd_debug ("heartbeat not written key=%s: %s", self->key, opd_redis_error (self->redis));
        return -1;
    }
    self->written = true;
    return 0;
}

//  Deletes the key if it still holds this instance (another instance of the
//  service may have written it since): WATCH, compare, MULTI/DEL/EXEC.
static void
s_remove (opd_alive_t *self)
{
    redisReply *r = opd_redis_command (self->redis, "WATCH %s", self->key);
    if (!r)
        return;
    freeReplyObject (r);
    r = opd_redis_command (self->redis, "GET %s", self->key);
    bool ours = r && r->type == REDIS_REPLY_STRING && !strcmp (r->str, self->instance);
    if (r)
        freeReplyObject (r);
    const char *cmds[] = {"MULTI", "DEL %s", "EXEC"};
    for (int i = 0; i < 3 && ours; i++) {
        r = opd_redis_command (self->redis, cmds[i], self->key);
        if (!r)
            return;
        freeReplyObject (r);
    }
    if (!ours && (r = opd_redis_command (self->redis, "UNWATCH")))
        freeReplyObject (r);
}

void
opd_alive_destroy (opd_alive_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    opd_alive_t *self = *self_p;
    if (self->written)
        s_remove (self);
    opd_redis_destroy (&self->redis);
    free (self);
    *self_p = NULL;
}

size_t
opd_alive_expected (const opd_config_t *cfg, const char **names)
{
    static const char *core[] = {"intake", "router", "slo", "notifier", "anonymiser"};
    size_t n = 0;
    for (size_t i = 0; i < sizeof core / sizeof core[0]; i++)
        names[n++] = core[i];
    if (cfg->nimap > 0)
        names[n++] = "email";
    if (cfg->phone_secret)
        names[n++] = "phone";
    return n;
}

int
opd_alive_down (opd_redis_t *redis, const opd_config_t *cfg, const char **down)
{
    const char *names[OPD_ALIVE_MAX];
    size_t n = opd_alive_expected (cfg, names);
    opd_args_t a;
    opd_args_init (&a);
    opd_args_add (&a, "MGET");
    for (size_t i = 0; i < n; i++)
        opd_args_addf (&a, "%s%s", OPD_ALIVE_KEY, names[i]);
    redisReply *r = opd_redis_argv (redis, &a);
    opd_args_free (&a);
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != n) {
        if (r)
            freeReplyObject (r);
        return -1;
    }
    int ndown = 0;
    for (size_t i = 0; i < n; i++)
        if (r->element[i]->type != REDIS_REPLY_STRING)
            down[ndown++] = names[i];
    freeReplyObject (r);
    return ndown;
}
