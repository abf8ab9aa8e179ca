/*  opd_receipt: see opd_receipt.h. */
#include "opd_receipt.h"
#include "opd_log.h"
#include "opd_schema.h"
#include "opd_util.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SEED_BYTES crypto_sign_SEEDBYTES
#define HEADER "opdesk-anonymiser-receipt-v1"

int
opd_receipt_key (const opd_config_t *cfg, unsigned char sk[crypto_sign_SECRETKEYBYTES],
                 unsigned char pk[crypto_sign_PUBLICKEYBYTES], char *err, size_t errlen)
{
    const char *path = cfg->receipt_key;
    if (!path || !*path)
        return 0;
    if (sodium_init () < 0) {
        snprintf (err, errlen, "retention.receipt_key: libsodium did not start");
        return -1;
    }
    unsigned char seed[SEED_BYTES + 1], zero[SEED_BYTES] = {0};
    int fd = open (path, O_RDONLY | O_CLOEXEC);
    ssize_t n = fd < 0 ? -1 : read (fd, seed, sizeof seed);
    int saved = errno;
    if (fd >= 0)
        close (fd);
    if (n != SEED_BYTES || sodium_memcmp (seed, zero, SEED_BYTES) == 0) {
        snprintf (err, errlen, "retention.receipt_key: %s: %s", path,
                  n < 0 ? strerror (saved) : n != SEED_BYTES ? "not a key: it must be exactly 32 bytes"
                                                             : "not a key: all zero");
        sodium_memzero (seed, sizeof seed);
        return -1;
    }
    crypto_sign_seed_keypair (pk, sk, seed);
    sodium_memzero (seed, sizeof seed);
    return 1;
}

int
opd_receipt_key_check (const opd_config_t *cfg)
{
    unsigned char sk[crypto_sign_SECRETKEYBYTES], pk[crypto_sign_PUBLICKEYBYTES];
    char err[512];
    int k = opd_receipt_key (cfg, sk, pk, err, sizeof err);
    sodium_memzero (sk, sizeof sk);
    if (k < 0)
        opd_error ("%s", err);
    return k < 0 ? -1 : 0;
}

static bool
s_own (const char *name)
{
    return !strcmp (name, "signed") || !strcmp (name, "signature") || !strcmp (name, "signed_by");
}

//  The value of field name in a receipt (an HGETALL reply), or NULL.
static const char *
s_get (const redisReply *h, const char *name)
{
    for (size_t i = 0; i + 1 < h->elements; i += 2)
        if (h->element[i]->str && !strcmp (h->element[i]->str, name))
            return h->element[i + 1]->str;
    return NULL;
}

//  Field/value pairs of an HGETALL reply, by field name.
static int
s_by_name (const void *a, const void *b)
{
    return strcmp ((*(redisReply *const *) a)->str, (*(redisReply *const *) b)->str);
}

//  The canonical text of a receipt (an HGETALL reply), as a new string.
static char *
s_canonical (const redisReply *h, const char *run)
{
    size_t n = h->elements / 2, k = 0;
    redisReply **pairs = opd_calloc (n + 1, sizeof *pairs);
    for (size_t i = 0; i < n; i++)
        if (h->element[2 * i]->str && !s_own (h->element[2 * i]->str))
            pairs[k++] = h->element[2 * i];
    qsort (pairs, k, sizeof *pairs, s_by_name);
    char *text = opd_sprintf (HEADER "\nrun %s\n", run);
    for (size_t i = 0; i < k; i++) {
        const char *value = s_get (h, pairs[i]->str);
        char *more = opd_sprintf ("%s%s %s\n", text, pairs[i]->str, value ? value : "");
        free (text);
        text = more;
    }
    free (pairs);
    return text;
}

//  The receipt's hash, or NULL (Redis failed: *failed) or an empty one.
static redisReply *
s_read (opd_redis_t *redis, const char *run, bool *failed)
{
    char key[64];
    opd_key_anon_run (key, sizeof key, run);
    redisReply *r = opd_redis_command (redis, "HGETALL %s", key);
    *failed = !r || r->type != REDIS_REPLY_ARRAY;
    if (*failed || r->elements == 0) {
        if (r)
            freeReplyObject (r);
        return NULL;
    }
    return r;
}

int
opd_receipt_sign (opd_redis_t *redis, const opd_config_t *cfg, const char *run)
{
    unsigned char sk[crypto_sign_SECRETKEYBYTES], pk[crypto_sign_PUBLICKEYBYTES], sig[crypto_sign_BYTES];
    char err[512];
    int k = opd_receipt_key (cfg, sk, pk, err, sizeof err);
    if (k <= 0) {
        if (k < 0)
            opd_error ("receipt not signed run=%s: %s", run, err);
        return k;
    }
    bool failed;
    redisReply *h = s_read (redis, run, &failed);
    int rc = -1;
    if (h) {
        char *text = s_canonical (h, run);
        crypto_sign_detached (sig, NULL, (const unsigned char *) text, strlen (text), sk);
        char sighex[2 * crypto_sign_BYTES + 1], pkhex[2 * crypto_sign_PUBLICKEYBYTES + 1], key[64];
        sodium_bin2hex (sighex, sizeof sighex, sig, sizeof sig);
        sodium_bin2hex (pkhex, sizeof pkhex, pk, sizeof pk);
        opd_key_anon_run (key, sizeof key, run);
        redisReply *r = opd_redis_command (redis, "HSET %s signed %s signature %s signed_by %s", key, text,
                                           sighex, pkhex);
        rc = r && r->type == REDIS_REPLY_INTEGER ? 0 : -1;
        if (r)
            freeReplyObject (r);
        free (text);
        freeReplyObject (h);
    }
    sodium_memzero (sk, sizeof sk);
    if (rc)
        opd_warn ("receipt not signed run=%s: %s", run, opd_redis_error (redis));
    return rc;
}

//  Why the receipt h does not verify under the configured key, or NULL.
static const char *
s_why_not (const opd_config_t *cfg, const redisReply *h, const char *run)
{
    const char *text = s_get (h, "signed"), *sighex = s_get (h, "signature");
    const char *by = s_get (h, "signed_by");
    unsigned char sk[crypto_sign_SECRETKEYBYTES], pk[crypto_sign_PUBLICKEYBYTES], sig[crypto_sign_BYTES];
    char err[512], pkhex[2 * crypto_sign_PUBLICKEYBYTES + 1];
    if (!text || !sighex)
        return "not signed";
    int k = opd_receipt_key (cfg, sk, pk, err, sizeof err);
    sodium_memzero (sk, sizeof sk);
    if (k <= 0)
        return k < 0 ? "the configured retention.receipt_key is bad" : "no retention.receipt_key to verify with";
    sodium_bin2hex (pkhex, sizeof pkhex, pk, sizeof pk);
    if (!by || strcmp (by, pkhex))
        return "signed by another key";
    size_t len = 0;
    if (sodium_hex2bin (sig, sizeof sig, sighex, strlen (sighex), NULL, &len, NULL) || len != sizeof sig
        || crypto_sign_verify_detached (sig, (const unsigned char *) text, strlen (text), pk))
        return "the signature does not match the signed text";
    char *now = s_canonical (h, run);
    bool same = !strcmp (now, text);
    free (now);
    return same ? NULL : "the receipt was changed after it was signed";
}

json_t *
opd_receipt_check (opd_redis_t *redis, const opd_config_t *cfg, const char *run, bool *redis_failed)
{
    redisReply *h = s_read (redis, run, redis_failed);
    if (!h)
        return NULL;
    if (sodium_init () < 0) {
        freeReplyObject (h);
        return NULL;
    }
    json_t *fields = json_object ();
    for (size_t i = 0; i + 1 < h->elements; i += 2)
        if (!s_own (h->element[i]->str))
            json_object_set_new (fields, h->element[i]->str, json_string (h->element[i + 1]->str));
    const char *why = s_why_not (cfg, h, run), *by = s_get (h, "signed_by");
    json_t *out = json_pack ("{s:s, s:o, s:o, s:o, s:b, s:o}", "run", run, "receipt", fields, "signed_by",
                             by ? json_string (by) : json_null (), "signed",
                             s_get (h, "signed") ? json_string (s_get (h, "signed")) : json_null (),
                             "verified", why == NULL, "reason", why ? json_string (why) : json_null ());
    freeReplyObject (h);
    return out;
}
