/*  webhook: delivers events of the durable history (the opd:events stream)
    to the configured webhooks, as JSON, signed.

    Each webhook has its own cursor in Redis (opd:notifier:webhook:HOOK:cursor,
    HOOK from the SHA-256 of its url, the stream id of the last event
    handled), created at the end of the stream the first time the webhook
    is seen, so a webhook gets the events from when it was configured on,
    and none is skipped while the notifier is down. An event is POSTed until
    the receiver answers 2xx, with growing pauses (1 s, 2 s, 4 s ... 60 s);
    the cursor never passes an event that was not delivered, except after a
    day of failures, when the event is given up (logged): a receiver that is
    down for hours gets every event once it is back. Delivery is at least
    once: a receiver can drop repeats by the event's "cursor". */
#ifndef OPD_NOTIFIER_WEBHOOK_H_INCLUDED
#define OPD_NOTIFIER_WEBHOOK_H_INCLUDED
#include "opd_config.h"
#include <czmq.h>
#include <stdbool.h>

//  The event (one msgpack map, as stored in the stream) as JSON text, as
//  opd_event_json shows it (times as RFC 3339), with "cursor" added when
//  given. NULL when data is not a msgpack map. The caller frees the result.
char *webhook_event_json (const char *data, size_t len, const char *cursor);
//  "sha256=HEX": HMAC-SHA256 of body under secret. The caller frees it.
char *webhook_signature (const char *secret, const char *body, size_t len);
//  True when topic starts with one of the webhook's topics (all when none).
bool webhook_topic_matches (const opd_webhook_t *w, const char *topic);

//  Starts the delivery thread for cfg's webhooks; it copies what it needs
//  from cfg before this returns. NULL when there are no webhooks.
zactor_t *webhook_actor_new (const opd_config_t *cfg);
#endif
