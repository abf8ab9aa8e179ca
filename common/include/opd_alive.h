/*  opd_alive: the heartbeats of the services, the sign of life /healthz
    reads (CONTRACT.md section 8).

    Each service refreshes one Redis key, opd:alive:NAME (NAME without the
    opdesk- prefix), from its loop: SET with an expiry of OPD_ALIVE_TTL_MS,
    at most once every OPD_ALIVE_EVERY_MS. A service whose loop stops
    turning (killed, hung, stuck in a call) lets its key expire; one that
    stops cleanly deletes it. Redis keeps the time, so the clocks of the
    machines never matter. Several instances of one service share the key:
    the service is alive while any of them beats. */
#ifndef OPD_ALIVE_H_INCLUDED
#define OPD_ALIVE_H_INCLUDED
#include "opd_config.h"
#include "opd_redis.h"
#include <stddef.h>

#define OPD_ALIVE_KEY "opd:alive:"  //  + the service's name; proto/keys.md
#define OPD_ALIVE_TTL_MS 5000
#define OPD_ALIVE_EVERY_MS 1000
#define OPD_ALIVE_MAX 8  //  services a deployment can expect

typedef struct _opd_alive_t opd_alive_t;

//  A heartbeat for the program called name ("opdesk-router" or "router");
//  connects to the configured Redis on first use.
opd_alive_t *opd_alive_new (const opd_config_t *cfg, const char *name);
//  Deletes the heartbeat when it is still this instance's (a clean stop),
//  then frees the object. Safe to call twice.
void opd_alive_destroy (opd_alive_t **self_p);
//  Refreshes the heartbeat when OPD_ALIVE_EVERY_MS passed since the last
//  attempt; cheap otherwise. Quiet when Redis is down (the service logs its
//  own outage). Returns 0, or -1 when Redis could not be written.
int opd_alive_beat (opd_alive_t *self);
//  After a reload: Redis may have moved. Keeps the key as it is.
void opd_alive_set_config (opd_alive_t *self, const opd_config_t *cfg);

//  The services a deployment with this configuration runs, by name: intake,
//  router, slo, notifier, anonymiser, then email when IMAP mailboxes are
//  configured and phone when the phone channel is. opdesk-web is left out:
//  it is the one asking. Returns how many were written to names (static
//  strings), at most OPD_ALIVE_MAX.
size_t opd_alive_expected (const opd_config_t *cfg, const char **names);
//  Which expected services have no heartbeat, in one round trip (MGET).
//  Writes their names to down and returns how many, or -1 when Redis did
//  not answer.
int opd_alive_down (opd_redis_t *redis, const opd_config_t *cfg, const char **down);
#endif
