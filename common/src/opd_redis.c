/*  opd_redis: see opd_redis.h. */
#include "opd_redis.h"
#include "opd_log.h"
#include "opd_util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const char *opd_script_sources[OPD_SCRIPT_COUNT];

struct _opd_redis_t {
    char *host, *username, *password;
    int port, db, timeout_ms;
    redisContext *ctx;
    char sha[OPD_SCRIPT_COUNT][41];
    char error[256];
    int64_t last_attempt;
    bool down;  //  an outage was logged and has not ended yet
};

void
opd_args_init (opd_args_t *a)
{
    memset (a, 0, sizeof *a);
}

void
opd_args_addn (opd_args_t *a, const char *s, size_t len)
{
    if (a->n == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 16;
        a->v = realloc (a->v, (size_t) a->cap * sizeof (char *));
        a->len = realloc (a->len, (size_t) a->cap * sizeof (size_t));
        if (!a->v || !a->len)
            abort ();
    }
    a->v[a->n] = opd_strndup (s ? s : "", s ? len : 0);
    a->len[a->n++] = s ? len : 0;
}

void
opd_args_add (opd_args_t *a, const char *s)
{
    opd_args_addn (a, s, s ? strlen (s) : 0);
}

void
opd_args_addi (opd_args_t *a, long long v)
{
    char buf[32];
    snprintf (buf, sizeof buf, "%lld", v);
    opd_args_add (a, buf);
}

void
opd_args_addf (opd_args_t *a, const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    char *s = NULL;
    if (vasprintf (&s, fmt, ap) < 0)
        abort ();
    va_end (ap);
    opd_args_add (a, s);
    free (s);
}

void
opd_args_free (opd_args_t *a)
{
    for (int i = 0; i < a->n; i++)
        free (a->v[i]);
    free (a->v);
    free (a->len);
    memset (a, 0, sizeof *a);
}

opd_redis_t *
opd_redis_new (const opd_config_t *cfg)
{
    opd_redis_t *self = opd_calloc (1, sizeof *self);
    self->host = opd_strdup (cfg->redis_host);
    self->username = cfg->redis_username ? opd_strdup (cfg->redis_username) : NULL;
    self->password = cfg->redis_password ? opd_strdup (cfg->redis_password) : NULL;
    self->port = cfg->redis_port;
    self->db = cfg->redis_db;
    self->timeout_ms = 5000;
    return self;
}

void
opd_redis_disconnect (opd_redis_t *self)
{
    if (self->ctx)
        redisFree (self->ctx);
    self->ctx = NULL;
}

void
opd_redis_failed (opd_redis_t *self, const char *what, const char *detail)
{
    if (!self->down)
        opd_warn ("Redis unavailable, will retry during=%s error=\"%s\"", what,
                  detail ? detail : self->error);
    self->down = true;
    opd_redis_disconnect (self);
}

void
opd_redis_recovered (opd_redis_t *self)
{
    if (self->down)
        opd_info ("Redis available again");
    self->down = false;
}

bool
opd_redis_is_down (const opd_redis_t *self)
{
    return self->down;
}

void
opd_redis_destroy (opd_redis_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    opd_redis_t *self = *self_p;
    opd_redis_disconnect (self);
    free (self->host);
    free (self->username);
    if (self->password)
        explicit_bzero (self->password, strlen (self->password));
    free (self->password);
    free (self);
    *self_p = NULL;
}

void
opd_redis_set_timeout (opd_redis_t *self, int ms)
{
    self->timeout_ms = ms;
    if (self->ctx) {
        struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
        redisSetTimeout (self->ctx, tv);
    }
}

static int
s_load_scripts (opd_redis_t *self)
{
    for (int i = 0; i < OPD_SCRIPT_COUNT; i++) {
        redisReply *r = redisCommand (self->ctx, "SCRIPT LOAD %s", opd_script_sources[i]);
        if (!r || r->type != REDIS_REPLY_STRING || r->len != 40) {
            snprintf (self->error, sizeof self->error, "SCRIPT LOAD of script %d failed: %s", i,
                      r && r->type == REDIS_REPLY_ERROR ? r->str : self->ctx->errstr);
            if (r)
                freeReplyObject (r);
            return -1;
        }
        memcpy (self->sha[i], r->str, 41);
        freeReplyObject (r);
    }
    return 0;
}

int
opd_redis_connect (opd_redis_t *self)
{
    if (self->ctx && !self->ctx->err)
        return 0;
    opd_redis_disconnect (self);
    struct timeval tv = {self->timeout_ms / 1000, (self->timeout_ms % 1000) * 1000};
    struct timeval ctv = {2, 0};
    self->ctx = redisConnectWithTimeout (self->host, self->port, ctv);
    if (!self->ctx || self->ctx->err) {
        snprintf (self->error, sizeof self->error, "cannot connect to Redis at %s:%d: %s",
                  self->host, self->port, self->ctx ? self->ctx->errstr : "out of memory");
        opd_redis_disconnect (self);
        return -1;
    }
    redisSetTimeout (self->ctx, tv);
    redisEnableKeepAlive (self->ctx);
    if (self->password) {
        //  With a username: a Redis 6+ ACL user (deploy/redis-users.acl).
        //  The error names the user, never the password.
        redisReply *r = self->username
                            ? redisCommand (self->ctx, "AUTH %s %s", self->username, self->password)
                            : redisCommand (self->ctx, "AUTH %s", self->password);
        bool ok = r && r->type != REDIS_REPLY_ERROR;
        if (!ok)
            snprintf (self->error, sizeof self->error, "Redis AUTH failed user=%s: %s",
                      self->username ? self->username : "default",
                      r && r->type == REDIS_REPLY_ERROR ? r->str : "no reply");
        if (r)
            freeReplyObject (r);
        if (!ok) {
            opd_redis_disconnect (self);
            return -1;
        }
    }
    if (self->db) {
        redisReply *r = redisCommand (self->ctx, "SELECT %d", self->db);
        if (r)
            freeReplyObject (r);
    }
    if (s_load_scripts (self)) {
        opd_redis_disconnect (self);
        return -1;
    }
    return 0;
}

static redisReply *
s_check (opd_redis_t *self, redisReply *r)
{
    if (!r) {
        snprintf (self->error, sizeof self->error, "Redis: %s",
                  self->ctx ? self->ctx->errstr : "not connected");
        opd_redis_disconnect (self);
    }
    return r;
}

redisReply *
opd_redis_command (opd_redis_t *self, const char *fmt, ...)
{
    if (opd_redis_connect (self))
        return NULL;
    va_list ap;
    va_start (ap, fmt);
    redisReply *r = redisvCommand (self->ctx, fmt, ap);
    va_end (ap);
    return s_check (self, r);
}

redisReply *
opd_redis_argv (opd_redis_t *self, const opd_args_t *args)
{
    if (opd_redis_connect (self))
        return NULL;
    redisReply *r = redisCommandArgv (self->ctx, args->n, (const char **) args->v, args->len);
    return s_check (self, r);
}

static int
s_append_script (opd_redis_t *self, opd_script_t script, const opd_args_t *args)
{
    int argc = args->n + 3;
    const char **argv = opd_calloc ((size_t) argc, sizeof (char *));
    size_t *lens = opd_calloc ((size_t) argc, sizeof (size_t));
    argv[0] = "EVALSHA";
    lens[0] = 7;
    argv[1] = self->sha[script];
    lens[1] = 40;
    argv[2] = "0";
    lens[2] = 1;
    for (int i = 0; i < args->n; i++) {
        argv[i + 3] = args->v[i];
        lens[i + 3] = args->len[i];
    }
    int rc = redisAppendCommandArgv (self->ctx, argc, argv, lens);
    free (argv);
    free (lens);
    return rc == REDIS_OK ? 0 : -1;
}

redisReply *
opd_redis_script (opd_redis_t *self, opd_script_t script, const opd_args_t *args)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        if (opd_redis_connect (self))
            return NULL;
        if (s_append_script (self, script, args))
            return NULL;
        redisReply *r = NULL;
        if (redisGetReply (self->ctx, (void **) &r) != REDIS_OK)
            return s_check (self, NULL);
        if (r->type == REDIS_REPLY_ERROR && !strncmp (r->str, "NOSCRIPT", 8) && attempt == 0) {
            //  Redis restarted and lost its script cache: load again, retry once.
            freeReplyObject (r);
            if (s_load_scripts (self))
                return NULL;
            continue;
        }
        if (r->type == REDIS_REPLY_ERROR)
            snprintf (self->error, sizeof self->error, "script %d: %s", (int) script, r->str);
        return r;
    }
    return NULL;
}

int
opd_redis_append_script (opd_redis_t *self, opd_script_t script, const opd_args_t *args)
{
    if (opd_redis_connect (self))
        return -1;
    return s_append_script (self, script, args);
}

int
opd_redis_append_argv (opd_redis_t *self, const opd_args_t *args)
{
    if (opd_redis_connect (self))
        return -1;
    return redisAppendCommandArgv (self->ctx, args->n, (const char **) args->v, args->len) == REDIS_OK
               ? 0
               : -1;
}

redisReply *
opd_redis_get_reply (opd_redis_t *self)
{
    if (!self->ctx)
        return NULL;
    redisReply *r = NULL;
    if (redisGetReply (self->ctx, (void **) &r) != REDIS_OK)
        return s_check (self, NULL);
    return r;
}

const char *
opd_redis_error (opd_redis_t *self)
{
    return self->error;
}

const char *
opd_redis_script_source (opd_script_t script)
{
    return opd_script_sources[script];
}

const char *
opd_reply_str (const redisReply *r, size_t i)
{
    if (!r || r->type != REDIS_REPLY_ARRAY || i >= r->elements)
        return NULL;
    const redisReply *e = r->element[i];
    return e->type == REDIS_REPLY_STRING || e->type == REDIS_REPLY_STATUS ? e->str : NULL;
}

long long
opd_reply_int (const redisReply *r, size_t i)
{
    if (!r || r->type != REDIS_REPLY_ARRAY || i >= r->elements)
        return 0;
    const redisReply *e = r->element[i];
    if (e->type == REDIS_REPLY_INTEGER)
        return e->integer;
    if (e->type == REDIS_REPLY_STRING)
        return atoll (e->str);
    return 0;
}
