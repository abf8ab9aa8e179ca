/*  details_reply: missing details given in a written reply. A requester
    who answers the "some details are missing" mail with lines such as
    "Kind of laptop: developer" gives them as the portal's form would:
    comments by the requester on a ticket with missing details put it in
    the work set opd:replies:details (prelude.lua, add_comment); each sweep
    of the router reads the requester's public comments of those tickets,
    takes every "Label: value" line whose label (or field name, in any
    case) names a missing field and whose value is valid for it (read by
    store/src/opd_field_lines.c, as the mail adapters read a first mail's
    lines), and gives
    them through opd_change_apply as the requester. Quoted lines ("> ...")
    and the mail's own "Label: ..." example are never read as answers. A
    ticket leaves the work set once read, so a kill between the two only
    means it is read again (giving the same values twice changes nothing). */
#ifndef ROUTER_DETAILS_REPLY_H_INCLUDED
#define ROUTER_DETAILS_REPLY_H_INCLUDED
#include "opd_config.h"
#include "opd_redis.h"
#include <jansson.h>

//  One sweep of at most 50 tickets. 0, or -1 when Redis failed.
int details_reply_sweep (opd_redis_t *redis, const opd_config_t *cfg);
#endif
