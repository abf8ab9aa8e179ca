/*  opd_pseudonym: see opd_pseudonym.h. */
#include "opd_pseudonym.h"
#include "opd_log.h"
#include "opd_schema.h"
#include "opd_store.h"
#include "opd_util.h"
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define KEY_BYTES crypto_generichash_KEYBYTES
#define OUT_BYTES 16
#define BATCH 1000

void
opd_pseudonym_period (int64_t created_ms, char *period, size_t size)
{
    time_t t = (time_t) (created_ms / 1000);
    struct tm tm;
    gmtime_r (&t, &tm);
    snprintf (period, size, "%04d", tm.tm_year + 1900);
}

//  Whether period's key was destroyed: 1, 0, or -1.
static int
s_destroyed (opd_redis_t *redis, const char *period)
{
    redisReply *r = opd_redis_command (redis, "HGET %s %s", OPD_KEY_PSEUDO_DESTROYED, period);
    int rc = !r ? -1 : r->type == REDIS_REPLY_STRING ? 1 : 0;
    if (r)
        freeReplyObject (r);
    return rc;
}

//  Reads period's key, making it when missing. 0, or -1 (logged).
static int
s_key (const opd_config_t *cfg, const char *period, unsigned char *key)
{
    char *path = opd_sprintf ("%s/%s.key", cfg->pseudonym_keys_dir, period);
    int fd = open (path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
        randombytes_buf (key, KEY_BYTES);
        fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        bool ok = fd >= 0 && write (fd, key, KEY_BYTES) == KEY_BYTES && fsync (fd) == 0;
        if (fd >= 0)
            close (fd);
        if (ok)
            opd_info ("pseudonym key made period=%s", period);
        //  Another process may have made it at the same moment: read it back.
        fd = open (path, O_RDONLY | O_CLOEXEC);
    }
    bool ok = fd >= 0 && read (fd, key, KEY_BYTES) == KEY_BYTES;
    if (!ok)
        opd_error ("pseudonym key unreadable period=%s dir=%s: %s", period, cfg->pseudonym_keys_dir,
                   fd < 0 ? strerror (errno) : "short file");
    if (fd >= 0)
        close (fd);
    free (path);
    return ok ? 0 : -1;
}

int
opd_pseudonym_make (opd_redis_t *redis, const opd_config_t *cfg, const char *period, const char *identity,
                    char *out)
{
    out[0] = 0;
    if (!cfg->pseudonym_keys_dir || !*cfg->pseudonym_keys_dir || !identity || !*identity)
        return 0;
    if (sodium_init () < 0)
        return -1;
    int d = s_destroyed (redis, period);
    if (d != 0)
        return d < 0 ? -1 : 0;
    unsigned char key[KEY_BYTES], hash[OUT_BYTES];
    if (s_key (cfg, period, key))
        return -1;
    char *lower = opd_strdup (identity);
    for (char *p = lower; *p; p++)
        *p = (char) tolower ((unsigned char) *p);
    crypto_generichash (hash, OUT_BYTES, (const unsigned char *) lower, strlen (lower), key, KEY_BYTES);
    sodium_memzero (key, sizeof key);
    free (lower);
    sodium_bin2hex (out, 2 * OUT_BYTES + 1, hash, OUT_BYTES);
    return 1;
}

int
opd_pseudonym_destroy (opd_redis_t *redis, const opd_config_t *cfg, int64_t now, const char *period)
{
    long long left = opd_store_pseudo_destroy (redis, cfg, now, period, BATCH);
    if (left < 0)
        return -1;
    if (cfg->pseudonym_keys_dir && *cfg->pseudonym_keys_dir) {
        char *path = opd_sprintf ("%s/%s.key", cfg->pseudonym_keys_dir, period);
        int fd = open (path, O_WRONLY | O_CLOEXEC);
        if (fd >= 0) {
            unsigned char zero[KEY_BYTES] = {0};
            if (write (fd, zero, sizeof zero) != (ssize_t) sizeof zero || fsync (fd))
                opd_warn ("pseudonym key not overwritten period=%s: %s", period, strerror (errno));
            close (fd);
        }
        if (unlink (path) && errno != ENOENT)
            opd_error ("pseudonym key not deleted period=%s: %s", period, strerror (errno));
        free (path);
    }
    while (left > 0)
        if ((left = opd_store_pseudo_destroy (redis, cfg, now, period, BATCH)) < 0)
            return -1;
    opd_info ("pseudonym key destroyed period=%s", period);
    return 0;
}

int
opd_pseudonym_schedule (opd_redis_t *redis, const opd_config_t *cfg, int64_t now)
{
    const char *dir = cfg->pseudonym_keys_dir;
    DIR *d = dir && *dir ? opendir (dir) : NULL;
    if (!d)
        return 0;
    char year[16];
    opd_pseudonym_period (now, year, sizeof year);
    int oldest_kept = atoi (year) - cfg->pseudonym_keep_years, n = 0;
    struct dirent *e;
    while ((e = readdir (d))) {
        int y = 0;
        char rest[8] = "";
        if (sscanf (e->d_name, "%4d%7s", &y, rest) != 2 || strcmp (rest, ".key") || y >= oldest_kept)
            continue;
        char period[16];
        snprintf (period, sizeof period, "%04d", y);
        if (opd_pseudonym_destroy (redis, cfg, now, period)) {
            n = -1;
            break;
        }
        n++;
    }
    closedir (d);
    return n;
}
