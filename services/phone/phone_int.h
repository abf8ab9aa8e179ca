/*  phone_int.h: what phone.c (the HTTP side of opdesk-phone) and
    phone_call.c (what a call does) share, and no one else. */
#ifndef PHONE_INT_H_INCLUDED
#define PHONE_INT_H_INCLUDED
#include "opd_config.h"
#include "opd_http.h"
#include "opd_intake_client.h"
#include "opd_redis.h"
#include "opd_service.h"
#include <glib.h>
#include <jansson.h>

typedef struct {
    opd_service_t *svc;
    GMutex lock;
    opd_config_t *cfg;            //  the service's own copy, used under lock
    opd_redis_t *redis;
    opd_intake_client_t *intake;  //  used under lock, like redis
    opd_http_t *http;
    char *listen;  //  the address bound at start (a change needs a restart)
    GMutex pending_lock;
    opd_config_t *pending;        //  a reloaded configuration not applied yet
} phone_t;

//  What a handler answers.
typedef struct {
    unsigned status;
    json_t *body;
} result_t;


//  --- phone.c -------------------------------------------------------------

//  Sets res to an error answer: status, code, and the message from fmt.
void phone_result_error (result_t *res, unsigned status, const char *code, const char *fmt, ...)
    __attribute__ ((format (printf, 4, 5)));
//  Sets res to 202 {"status": "recorded"}, with reason when given.
void phone_result_recorded (result_t *res, const char *reason);
//  A field's value, NULL when absent or empty.
const char *phone_get (GHashTable *f, const char *key);

//  --- phone_call.c --------------------------------------------------------

//  Sets fields of a hash (NULL values are skipped) and its time to live.
int phone_hset (phone_t *self, const char *key, int ttl_s, ...);
//  How long what is learnt about a number is kept, in seconds: the
//  retention of closed tickets (365 days when unset, at most 3650).
int phone_ttl (const opd_config_t *cfg);
//  A call event (ringing, answered, hangup, voicemail, missed) from its
//  fields: the call's state kept, a ticket asked for a missed call or a
//  voicemail.
void phone_call_event (phone_t *self, GHashTable *f, result_t *res);
//  An agent's note on call call_id: added to the call's ticket while it is
//  open, else a ticket of its own.
void phone_call_note (phone_t *self, const char *call_id, GHashTable *f, result_t *res);
//  --- phone_aht.c ---------------------------------------------------------

//  At the first hangup of an answered call that counts (inbound, not
//  internal), adds its talk time to the measured handling time of the
//  agent's team (opd:aht). st is the call's state before this event.
void phone_aht_call (phone_t *self, GHashTable *st, const char *agent_id, bool counts, const char *event,
                     int64_t at);

//  --- phone_call.c (continued) --------------------------------------------

//  GET /healthz: 200 while Redis answers, else 503.
void phone_health (phone_t *self, result_t *res);
#endif
