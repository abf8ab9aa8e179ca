/*  opd_ticket_int.h: what the files of opd_ticket share, and no one else.

    The ticket class is three files:
        opd_ticket.c        the ticket object rendered from its hash (fields,
                            clocks, team times, comments and history), the
                            statuses, fetch and load
        opd_ticket_list.c   the list and team-queue queries, their filters,
                            cursors and due-time order
        opd_ticket_queue.c  the queue of several teams at once and the counts
                            per status (the agent console)
    Names opd_tk_* are private to these files: they are declared here and
    not in opd_ticket.h. */
#ifndef OPD_TICKET_INT_H
#define OPD_TICKET_INT_H

#include "opd_store.h"
#include "opd_ticket.h"
#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

//  Fills err (when not NULL) with code, the offending key (NULL for none)
//  and a formatted message.
void opd_tk_fail (opd_ticket_error_t *err, opd_ticket_status_t code, const char *key, const char *fmt, ...)
    __attribute__ ((format (printf, 4, 5)));

//  The ticket's place in a due-ordered list, as queue_refresh scores it.
int64_t opd_tk_next_due (const opd_ticket_t *t);

//  The ticket object from its hash (h, read into tk), without comments and
//  history; the caller owns the result.
json_t *opd_tk_from_hash (const opd_ticket_t *tk, const redisReply *h, const opd_config_t *cfg, bool live);

//  Case-folded words of UTF-8 text (runs of letters and digits), for q.
GPtrArray *opd_tk_words (const char *text);

//  A page of one team's queue: opd:q:due:<q->team> in order after the
//  cursor (cur_id NULL: from the start), up to max_due, every other filter
//  of q checked on the ticket. Appends up to limit tickets to items (and,
//  when out_scores is given, each one's queue score, int64_t, to it); sets
//  *next_cursor when more follow. 0, or -1 when Redis failed.
int opd_tk_list_queue (opd_redis_t *redis, const opd_config_t *cfg, const opd_ticket_query_t *q,
                       GPtrArray *qwords, int limit, const char *cur_id, int64_t cur_score, int64_t max_due,
                       json_t *items, json_t **next_cursor, GArray *out_scores);

#endif
