/*  opd_receipt: signed receipts of anonymiser runs (retention.receipt_key).

    The key is a file of 32 random bytes, the seed of an Ed25519 key pair
    (libsodium crypto_sign). After a run stores its receipt in
    opd:anon:run:N, the receipt is read back and its canonical text (the
    line "opdesk-anonymiser-receipt-v1", then "run N", then one "name value"
    line per field of the hash in byte order of the names, every field but
    signed, signature and signed_by) is signed. The hash keeps the text as
    signed, the signature (128 hex digits) and signed_by (the public key, 64
    hex digits). Verifying rebuilds the text from the hash as it is now:
    a count changed after the run no longer matches what was signed. Part
    of libopdanon. */
#ifndef OPD_RECEIPT_H_INCLUDED
#define OPD_RECEIPT_H_INCLUDED
#include "opd_config.h"
#include "opd_redis.h"
#include <jansson.h>
#include <sodium.h>

//  Loads retention.receipt_key into sk and pk. Returns 1 loaded, 0 none
//  configured, -1 a bad key (unreadable, not exactly 32 bytes, all zero):
//  the reason, naming the configuration key and the file, goes into err.
int opd_receipt_key (const opd_config_t *cfg, unsigned char sk[crypto_sign_SECRETKEYBYTES],
                     unsigned char pk[crypto_sign_PUBLICKEYBYTES], char *err, size_t errlen);

//  0 when retention.receipt_key is unset or a good key, else -1 with the
//  reason logged as an error (a run refuses to start with a bad key).
int opd_receipt_key_check (const opd_config_t *cfg);

//  Signs the stored receipt of run when a key is configured. 0 (signed, or
//  no key), -1 (Redis failed or the key is bad: logged).
int opd_receipt_sign (opd_redis_t *redis, const opd_config_t *cfg, const char *run);

//  Reads and verifies run's receipt: {"run", "receipt": {field: value},
//  "signed_by", "verified": bool, "reason": null or why not}, or NULL when
//  there is no such receipt (*redis_failed says whether Redis failed).
json_t *opd_receipt_check (opd_redis_t *redis, const opd_config_t *cfg, const char *run, bool *redis_failed);
#endif
