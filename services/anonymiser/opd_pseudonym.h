/*  opd_pseudonym: keyed pseudonyms of anonymised requesters, so that reports
    can still count repeat requesters (retention.pseudonyms). One key per
    period (the UTC year the ticket was created), 32 random bytes in
    keys_dir/YEAR.key (mode 0600), made by the anonymiser when first needed.
    A pseudonym is 32 hex digits of BLAKE2b (libsodium crypto_generichash)
    of the lower-cased address, else the number, under that key. While the
    key exists a pseudonym is still personal data (EDPB guidelines 01/2025);
    destroying the key (opdesk keys destroy YEAR, or on schedule after
    keep_years) makes that period's pseudonyms anonymous, which the tickets
    then say (privacy=anonymous), and records key.destroyed. Part of
    libopdanon. */
#ifndef OPD_PSEUDONYM_H_INCLUDED
#define OPD_PSEUDONYM_H_INCLUDED
#include "opd_config.h"
#include "opd_redis.h"
#include <stdint.h>

//  The period of a ticket created at created_ms: its UTC year, into period.
void opd_pseudonym_period (int64_t created_ms, char *period, size_t size);

//  The pseudonym of identity (an address or a number) under period's key,
//  into out (33 bytes). Returns 1 made, 0 none (no keys_dir configured, the
//  period's key destroyed, or no identity), -1 when the key cannot be read
//  or made (logged).
int opd_pseudonym_make (opd_redis_t *redis, const opd_config_t *cfg, const char *period, const char *identity,
                        char *out);

//  Destroys period's key: marks it destroyed in Redis first (so no one makes
//  it again), overwrites and deletes the file, then turns every ticket of
//  the period to anonymous. 0, or -1 (Redis failed; run it again).
int opd_pseudonym_destroy (opd_redis_t *redis, const opd_config_t *cfg, int64_t now, const char *period);

//  Destroys every key in keys_dir older than keep_years before now's year.
//  Returns how many, or -1.
int opd_pseudonym_schedule (opd_redis_t *redis, const opd_config_t *cfg, int64_t now);
#endif
