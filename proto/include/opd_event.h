/*  opd_event: the one reader of opdesk's events for the outside world.
    An event is a msgpack map (proto/README.md, the events table), published
    on the events socket and kept in the stream opd:events; the web API
    (GET /api/v1/events) and the notifier's webhooks show it as JSON, both
    through opd_event_json, so the two never disagree. */
#ifndef OPD_EVENT_H_INCLUDED
#define OPD_EVENT_H_INCLUDED
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

//  The event as a JSON object, or NULL when data is not a msgpack map.
//  Times, the keys the schema types ms (at, due_at, from, ...) and every
//  key ending in _at (the ticket's own times, as in ticket.updated's
//  changes), become RFC 3339 UTC strings with milliseconds; other numbers
//  stay numbers. Text that is not UTF-8 is repaired (U+FFFD), never
//  dropped; a key that is not text is left out.
json_t *opd_event_json (const char *data, size_t len);

//  True when key names a time in an event (see above).
bool opd_event_time_key (const char *key, size_t len);

#endif
