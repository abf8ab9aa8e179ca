/*  opd_anon_files: see opd_anon_files.h. */
#include "opd_anon_files.h"
#include "opd_blob.h"
#include "opd_log.h"
#include "opd_schema.h"
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

//  1 when a ticket still holds the body sha, 0 when none, -1 Redis failed.
static int
s_held (opd_redis_t *redis, const char *sha)
{
    char key[128];
    opd_key_blob_refs (key, sizeof key, sha);
    redisReply *r = opd_redis_command (redis, "EXISTS %s", key);
    int held = r && r->type == REDIS_REPLY_INTEGER ? r->integer > 0 : -1;
    if (r)
        freeReplyObject (r);
    return held;
}

//  Deletes the body sha; 1 deleted, 0 not there or not deleted.
static int
s_delete (const char *dir, const char *sha)
{
    char *path = opd_blob_path (dir, sha);
    int gone = path && unlink (path) == 0;
    if (path && !gone && errno != ENOENT)
        opd_warn ("attachment body not deleted file=%s: %s", sha, strerror (errno));
    free (path);
    return gone;
}

long long
opd_anon_files_release (opd_redis_t *redis, const opd_config_t *cfg, const char *attachments)
{
    const char *dir = cfg->attachments_dir;
    json_t *list = dir && *dir && attachments ? json_loads (attachments, 0, NULL) : NULL;
    long long n = 0;
    size_t i;
    json_t *a;
    json_array_foreach (list, i, a) {
        const char *sha = json_string_value (json_object_get (a, "sha256"));
        if (!sha || !opd_blob_name_valid (sha))
            continue;
        int held = s_held (redis, sha);
        if (held < 0)
            opd_warn ("attachment body kept file=%s: Redis failed, whether another ticket holds it is unknown",
                      sha);
        else if (!held)
            n += s_delete (dir, sha);
    }
    json_decref (list);
    return n;
}
