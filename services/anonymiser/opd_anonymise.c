/*  opd_anonymise: see opd_anonymise.h.

    opd:closed holds every closed ticket not anonymised yet, scored by when it
    closed. A pass reads it oldest first up to the shortest retention that
    applies to anything; each ticket is then checked against its own
    retention. anonymise.lua removes a ticket from opd:closed when it is done,
    so the walk only steps over the tickets it leaves. */
#include "opd_anonymise.h"
#include "opd_anon_canary.h"
#include "opd_anon_files.h"
#include "opd_anon_sweep.h"
#include "opd_pseudonym.h"
#include "opd_receipt.h"
#include "opd_schema.h"
#include "opd_log.h"
#include "opd_store.h"
#include "opd_util.h"
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DAY_MS (24LL * 3600 * 1000)
#define CHUNK 1000

int
opd_anonymise_rule (const opd_config_t *cfg, const char *category, const char *request_type, char *rule,
                     size_t size)
{
    for (size_t i = 0; request_type && *request_type && i < cfg->nretention_types; i++)
        if (!strcmp (cfg->retention_types[i].category, request_type)) {
            snprintf (rule, size, "per_request_type:%s", request_type);
            return cfg->retention_types[i].days;
        }
    const opd_retention_rule_t *best = NULL;
    for (size_t i = 0; category && *category && i < cfg->nretention_rules; i++) {
        const opd_retention_rule_t *r = &cfg->retention_rules[i];
        if (opd_category_under (category, r->category)
            && (!best || strlen (r->category) > strlen (best->category)))
            best = r;
    }
    if (best) {
        snprintf (rule, size, "per_category:%s", best->category);
        return best->days;
    }
    snprintf (rule, size, "closed_days");
    return cfg->retention_closed_days;
}

char *
opd_anonymise_fields (const opd_config_t *cfg, const char *request_type, const char *fields_json)
{
    const opd_reqtype_t *rt = request_type && *request_type ? opd_config_reqtype (cfg, request_type) : NULL;
    if (!rt || !fields_json || !*fields_json)
        return NULL;
    json_t *fields = json_loads (fields_json, 0, NULL);
    if (!json_is_object (fields)) {
        json_decref (fields);
        return NULL;
    }
    bool changed = false;
    for (size_t i = 0; i < rt->nfields; i++) {
        const opd_field_t *f = &rt->fields[i];
        json_t *v = json_object_get (fields, f->name);
        if (f->pii && v && !json_is_null (v)) {
            json_object_set_new (fields, f->name, json_string ("[removed]"));
            changed = true;
        }
    }
    char *out = changed ? json_dumps (fields, JSON_COMPACT) : NULL;
    json_decref (fields);
    return out;
}

//  The shortest retention of any rule, in days.
static int
s_min_days (const opd_config_t *cfg)
{
    int days = cfg->retention_closed_days;
    for (size_t i = 0; i < cfg->nretention_rules; i++)
        if (cfg->retention_rules[i].days < days)
            days = cfg->retention_rules[i].days;
    for (size_t i = 0; i < cfg->nretention_types; i++)
        if (cfg->retention_types[i].days < days)
            days = cfg->retention_types[i].days;
    return days;
}

int64_t
opd_anonymise_cutoff (const opd_config_t *cfg, int64_t now)
{
    return now - s_min_days (cfg) * DAY_MS;
}

int
opd_anonymise_due_since (opd_redis_t *redis, int64_t since, int64_t until)
{
    if (until <= since)
        return 0;
    long long n = opd_store_closed_count (redis, since, until);
    return n < 0 ? -1 : n > 0;
}

//  What one run has done so far, for its receipt.
typedef struct {
    bool dry_run;
    char run[32];     //  the run's number, once it has one (at its first change)
    int tickets;
    long long files;  //  attachment bodies deleted
    long long walk_ms, sweep_ms;
    opd_store_anon_counts_t in_ticket;
    opd_anon_sweep_counts_t swept;
    opd_canary_t canary;  //  opd_anon_canary.h
} s_run_t;

static void
s_list (json_t *out, const char *id, const char *rule)
{
    if (out)
        json_array_append_new (out, json_pack ("{s:s, s:s}", "ticket_id", id, "rule", rule));
}

//  Numbers the run at its first change, so that a pass with nothing to do
//  leaves no receipt. 0 or -1.
static int
s_ensure_run (opd_redis_t *redis, int64_t now, s_run_t *run)
{
    return run->run[0] ? 0 : opd_store_anon_run_start (redis, now, run->run, sizeof run->run);
}

static const char *const s_wanted[] = {OPD_F_STATUS,     OPD_F_CATEGORY, OPD_F_REQUEST_TYPE, OPD_F_FIELDS,
                                       OPD_F_ANONYMISED, OPD_F_HOLD,     OPD_F_ATTACHMENTS,  OPD_F_REQ_EMAIL,
                                       OPD_F_REQ_PHONE,  OPD_F_CREATED_AT};

//  The anonymise.lua arguments of one ticket (its s_wanted fields in h),
//  with the requester's pseudonym when retention.pseudonyms is configured:
//  a new call in c when first, else added to the batch in c.
static void
s_call (opd_store_call_t *c, bool first, opd_redis_t *redis, const opd_config_t *cfg, int64_t now,
        const char *id, const redisReply *h, const char *rule, const char *run)
{
    char *fields = opd_anonymise_fields (cfg, opd_reply_str (h, 2), opd_reply_str (h, 3));
    char period[16], pseudo[40];
    const char *created = opd_reply_str (h, 9);
    opd_pseudonym_period (created ? strtoll (created, NULL, 10) : now, period, sizeof period);
    const char *who = opd_reply_str (h, 7) ? opd_reply_str (h, 7) : opd_reply_str (h, 8);
    bool named = opd_pseudonym_make (redis, cfg, period, who, pseudo) == 1;
    if (first)
        opd_store_anonymise_call (c, cfg, now, id, rule, fields, run, named ? pseudo : NULL, named ? period : NULL);
    else
        opd_store_anonymise_add (c, id, rule, fields, run, named ? pseudo : NULL, named ? period : NULL);
    free (fields);
}

//  Tickets per anonymise.lua call (retention.batch).
static size_t
s_batch (const opd_config_t *cfg)
{
    return cfg->retention_batch > 0 ? (size_t) cfg->retention_batch : 1;
}
#define NWANTED (sizeof s_wanted / sizeof s_wanted[0])

//  Whether a ticket (its s_wanted fields) closed at closed_at is due at
//  now; its rule is written into rule.
static bool
s_due (const opd_config_t *cfg, const redisReply *h, int64_t closed_at, int64_t now, char *rule, size_t size)
{
    if (!h || h->type != REDIS_REPLY_ARRAY || h->elements != NWANTED)
        return false;
    const char *status = opd_reply_str (h, 0);
    const char *anonymised = opd_reply_str (h, 4);
    const char *hold = opd_reply_str (h, 5);
    int days = opd_anonymise_rule (cfg, opd_reply_str (h, 1), opd_reply_str (h, 2), rule, size);
    return status && !strcmp (status, "closed") && !(anonymised && !strcmp (anonymised, "1"))
           && !(hold && !strcmp (hold, "1")) && closed_at + days * DAY_MS <= now;
}

//  The anonymise.lua calls of the due tickets, retention.batch tickets per
//  call, all made first: making a pseudonym asks Redis (synchronously)
//  whether its key was destroyed, which must not happen between a call and
//  its reply.
static opd_store_call_t *
s_make_calls (opd_redis_t *redis, const opd_config_t *cfg, int64_t now, const redisReply *ids,
              redisReply **h, char (*rules)[160], const bool *due, size_t n, const char *run, size_t *ncalls)
{
    size_t batch = s_batch (cfg), in = 0;
    opd_store_call_t *calls = opd_calloc (n / batch + 2, sizeof *calls);
    *ncalls = 0;
    for (size_t i = 0; i < n; i++) {
        if (!due[i])
            continue;
        s_call (&calls[*ncalls], in == 0, redis, cfg, now, ids->element[2 * i]->str, h[i], rules[i], run);
        if (++in == batch) {
            (*ncalls)++;
            in = 0;
        }
    }
    *ncalls += in > 0;
    return calls;
}

//  Where each store of opd_store_anon_linked is in opd_keys (the receipt
//  counts by schema key), found once.
static const size_t *
s_linked_keys (void)
{
    static size_t at[OPD_STORE_ANON_LINKED];
    static bool found;
    if (found)
        return at;
    for (size_t k = 0; k < OPD_STORE_ANON_LINKED; k++) {
        at[k] = opd_key_count;  //  not a schema key: not counted (test_store checks they all are)
        for (size_t i = 0; i < opd_key_count; i++)
            if (!strcmp (opd_keys[i].name, opd_store_anon_linked[k]))
                at[k] = i;
    }
    found = true;
    return at;
}

//  One anonymised ticket's counts into the run: its own keys, and the keys
//  of the global stores that named it (deleted in the same step), under
//  their schema names in the receipt.
static void
s_add (s_run_t *run, const opd_store_anon_counts_t *c)
{
    run->in_ticket.fields += c->fields;
    run->in_ticket.comments += c->comments;
    run->in_ticket.history += c->history;
    run->in_ticket.idx += c->idx;
    const size_t *at = s_linked_keys ();
    for (size_t k = 0; k < OPD_STORE_ANON_LINKED; k++)
        if (at[k] < opd_key_count)
            run->swept.removed[at[k]] += c->linked[k];
}

//  What one ticket's part of a reply says, into the run; 1 done, 0 not, -1.
static int
s_count (opd_redis_t *redis, const opd_config_t *cfg, const redisReply *r, size_t j, const char *id,
         const redisReply *h, const char *rule, json_t *out, s_run_t *run)
{
    opd_store_anon_counts_t c = {0};
    int one = opd_store_anonymise_reply_at (r, j, &c);
    if (one < 0) {
        opd_error ("not anonymised ticket=%s", id);
        return -1;
    }
    if (one != 1)
        return 0;
    if (opd_canary_is (id))
        return 1;  //  the canary left opd:closed; checked after the sweep, never counted or listed
    s_add (run, &c);
    run->files += opd_anon_files_release (redis, cfg, opd_reply_str (h, 6));
    run->tickets++;
    s_list (out, id, rule);
    opd_info ("anonymised ticket=%s rule=%s run=%s", id, rule, run->run);
    return 1;
}

//  The reply of one call into the run, for its tickets from *i on; how many
//  were anonymised, or -1 (counted all the same).
static int
s_take (opd_redis_t *redis, const opd_config_t *cfg, redisReply *r, const redisReply *ids, redisReply **h,
        char (*rules)[160], const bool *due, size_t n, size_t *i, json_t *out, s_run_t *run)
{
    int done = 0, rc = 0;
    for (size_t j = 0; j < s_batch (cfg) && *i < n; (*i)++) {
        if (!due[*i])
            continue;
        int one = s_count (redis, cfg, r, j++, ids->element[2 * *i]->str, h[*i], rules[*i], out, run);
        rc = one < 0 ? -1 : rc;
        done += one == 1;
    }
    freeReplyObject (r);
    return rc < 0 ? -1 : done;
}

//  Runs the calls one at a time, so that other clients of Redis (intake)
//  get their turn after each batch rather than after a pipeline of them,
//  and waits retention.pause_ms after each. With no pause (a backlog, as
//  fast as it goes), the next call is sent before this one's reply is
//  read, so that Redis runs it while the anonymiser counts this one and
//  never waits for the anonymiser in between. Returns how many tickets were
//  anonymised, or -1.
static int
s_run_calls (opd_redis_t *redis, const opd_config_t *cfg, const redisReply *ids, redisReply **h,
             char (*rules)[160], const bool *due, size_t n, opd_store_call_t *calls, size_t ncalls, json_t *out,
             s_run_t *run)
{
    size_t ahead = cfg->retention_pause_ms <= 0, i = 0, sent = 0, taken = 0;
    int done = 0, rc = 0;
    //  Every call sent is read, also after a failed one: a call sent ahead
    //  still ran, and its tickets count.
    while (taken < ncalls && (rc == 0 || taken < sent)) {
        while (rc == 0 && sent < ncalls && sent <= taken + ahead)
            if (opd_store_call_append (redis, &calls[sent]) == 0)
                sent++;
            else
                rc = -1;
        redisReply *r = taken < sent ? opd_redis_get_reply (redis) : NULL;
        if (!r) {
            opd_error ("anonymise.lua failed: %s", opd_redis_error (redis));
            opd_redis_disconnect (redis);  //  a reply sent ahead is lost with the connection
            return -1;
        }
        taken++;
        int got = s_take (redis, cfg, r, ids, h, rules, due, n, &i, out, run);
        rc = got < 0 ? -1 : rc;
        done += got > 0 ? got : 0;
        if (cfg->retention_pause_ms > 0)
            usleep ((useconds_t) cfg->retention_pause_ms * 1000);
    }
    return rc < 0 ? -1 : done;
}

//  One chunk of opd:closed (ids with scores): the hashes in one pipeline,
//  then the scripts of the due tickets in another. Returns how many stay in
//  opd:closed (to step over), or -1.
static long long
s_chunk (opd_redis_t *redis, const opd_config_t *cfg, int64_t now, const redisReply *ids, json_t *out,
         s_run_t *run)
{
    size_t n = ids->elements / 2;
    for (size_t i = 0; i < n; i++)
        if (opd_store_fields_append (redis, ids->element[2 * i]->str, s_wanted, NWANTED))
            return -1;
    redisReply **h = opd_calloc (n + 1, sizeof *h);
    char (*rules)[160] = opd_calloc (n + 1, sizeof *rules);
    bool *due = opd_calloc (n + 1, sizeof *due);
    long long stay = 0, ndue = 0;
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        h[i] = opd_redis_get_reply (redis);
        if (!h[i]) {
            opd_redis_disconnect (redis);
            rc = -1;
            break;
        }
        int64_t closed_at = (int64_t) strtod (ids->element[2 * i + 1]->str, NULL);
        due[i] = s_due (cfg, h[i], closed_at, now, rules[i], sizeof rules[i]);
        if (due[i] && run->dry_run) {
            run->tickets++;
            s_list (out, ids->element[2 * i]->str, rules[i]);
        }
        ndue += due[i] && !run->dry_run;
        stay += !due[i] || run->dry_run;
    }
    if (!rc && ndue > 0) {
        rc = s_ensure_run (redis, now, run);
        size_t ncalls = 0;
        opd_store_call_t *calls = rc ? NULL : s_make_calls (redis, cfg, now, ids, h, rules, due, n, run->run, &ncalls);
        int done = rc ? -1 : s_run_calls (redis, cfg, ids, h, rules, due, n, calls, ncalls, out, run);
        for (size_t k = 0; k < ncalls; k++)
            opd_store_call_free (&calls[k]);
        free (calls);
        rc = done < 0 ? -1 : 0;
        stay += ndue - (done > 0 ? done : 0);
    }
    for (size_t i = 0; i < n; i++)
        if (h[i])
            freeReplyObject (h[i]);
    free (h);
    free (rules);
    free (due);
    return rc ? -1 : stay;
}

//  Walks opd:closed up to the cutoff, oldest first.
static int
s_walk (opd_redis_t *redis, const opd_config_t *cfg, int64_t now, json_t *out, s_run_t *run)
{
    int64_t cutoff = opd_anonymise_cutoff (cfg, now);
    long long offset = 0;
    while (true) {
        redisReply *r = opd_store_closed_range (redis, cutoff, offset, CHUNK);
        if (!r || r->type != REDIS_REPLY_ARRAY) {
            if (r)
                freeReplyObject (r);
            return -1;
        }
        size_t n = r->elements / 2;
        long long stay = n ? s_chunk (redis, cfg, now, r, out, run) : 0;
        freeReplyObject (r);
        if (stay < 0)
            return -1;
        offset += stay;
        if (n < CHUNK)
            return 0;
    }
}

//  The receipt's counts, as field/value pairs for opd:anon:run:N, and as
//  one log line (counts only: never an id, a name or an address).
static void
s_receipt (opd_redis_t *redis, const opd_config_t *cfg, const s_run_t *run, int64_t now, bool ok)
{
    opd_args_t a;
    opd_args_init (&a);
    enum { FIXED = 9 };
    const char *names[FIXED] = {"tickets", "fields",        "comments", "history", "idx_req",
                                "files",   "swept_tickets", "walk_ms",  "sweep_ms"};
    long long values[FIXED] = {run->tickets,      run->in_ticket.fields, run->in_ticket.comments,
                               run->in_ticket.history, run->in_ticket.idx,    run->files,
                               run->swept.tickets, run->walk_ms,           run->sweep_ms};
    char *line = opd_strdup ("");
    for (size_t i = 0; i < opd_key_count + FIXED; i++) {
        const char *name = i < FIXED ? names[i] : opd_keys[i - FIXED].name;
        if (i >= FIXED && !opd_keys[i - FIXED].sweep)
            continue;
        long long v = i < FIXED ? values[i] : run->swept.removed[i - FIXED];
        char *more = opd_sprintf ("%s %s=%lld", line, name, v);
        free (line);
        line = more;
        opd_args_add (&a, name);
        opd_args_addi (&a, v);
    }
    opd_canary_receipt (&run->canary, &a);
    opd_info ("receipt run=%s state=%s%s", run->run, ok ? "done" : "failed", line);
    if (opd_store_anon_receipt (redis, run->run, now, ok, &a) < 0)
        opd_warn ("receipt not stored run=%s: %s", run->run, opd_redis_error (redis));
    else
        opd_receipt_sign (redis, cfg, run->run);
    free (line);
    opd_args_free (&a);
}

//  The sweep of what waits in opd:anon:pending, then the receipt.
static int
s_finish (opd_redis_t *redis, const opd_config_t *cfg, int64_t now, s_run_t *run, int rc, int64_t t0)
{
    long long pending = rc < 0 ? 0 : opd_store_anon_pending (redis);
    if (pending < 0)
        rc = -1;
    else if (pending > 0 && (rc = s_ensure_run (redis, now, run)) == 0)
        rc = opd_anon_sweep (redis, cfg->retention_pause_ms, &run->swept);
    rc = opd_canary_finish (redis, &run->canary, rc, run->run, &run->swept);
    run->sweep_ms = opd_mono_ms () - t0 - run->walk_ms;
    if (run->run[0])
        s_receipt (redis, cfg, run, opd_now_ms (), rc == 0);
    return rc < 0 ? rc : run->tickets;
}

int
opd_anonymise_ticket (opd_redis_t *redis, const opd_config_t *cfg, int64_t now, const char *id, json_t *out)
{
    s_run_t run = {0};
    int64_t t0 = opd_mono_ms ();
    if (opd_receipt_key_check (cfg) || opd_anon_links_once (redis, cfg, now) < 0)
        return -1;
    redisReply *h = opd_store_fields (redis, id, s_wanted, NWANTED);
    if (!h || h->type != REDIS_REPLY_ARRAY) {
        if (h)
            freeReplyObject (h);
        return -1;
    }
    const char *status = opd_reply_str (h, 0), *hold = opd_reply_str (h, 5), *anon = opd_reply_str (h, 4);
    int rc = !status ? 2 : strcmp (status, "closed") ? 3 : hold && !strcmp (hold, "1") ? 4
             : anon && !strcmp (anon, "1")           ? 5
                                                     : 0;
    if (rc == 0) {
        opd_store_anon_counts_t c = {0};
        int done = -1;
        if (!s_ensure_run (redis, now, &run)) {
            opd_store_call_t call;
            s_call (&call, true, redis, cfg, now, id, h, "request", run.run);
            redisReply *r = opd_store_call_run (redis, &call);
            opd_store_call_free (&call);
            done = r ? opd_store_anonymise_reply (r, &c) : -1;
            if (r)
                freeReplyObject (r);
        }
        rc = done == 1 ? 1 : done < 0 ? -1 : 5;
        if (done == 1) {
            run.tickets = 1;
            s_add (&run, &c);
            run.files = opd_anon_files_release (redis, cfg, opd_reply_str (h, 6));
            s_list (out, id, "request");
            opd_info ("anonymised ticket=%s rule=request run=%s", id, run.run);
        }
    }
    freeReplyObject (h);
    run.walk_ms = opd_mono_ms () - t0;
    if (rc == 1 || rc == 5)
        return s_finish (redis, cfg, now, &run, 0, t0) < 0 ? -1 : rc;
    return rc;
}

void
opd_anonymise_background (const opd_config_t *cfg)
{
    if (!cfg->retention_background)
        return;
    struct sched_param p = {.sched_priority = 0};
    if (sched_setscheduler (0, SCHED_IDLE, &p) == 0)
        opd_info ("cpu: runs in the background (SCHED_IDLE)");
    else
        opd_warn ("cpu: could not run in the background (SCHED_IDLE): %s", strerror (errno));
}

int
opd_anonymise_pass (opd_redis_t *redis, const opd_config_t *cfg, int64_t now, bool dry_run, json_t *out)
{
    s_run_t run = {.dry_run = dry_run};
    int64_t t0 = opd_mono_ms ();
    //  Keys past retention.pseudonyms.keep_years go first, on schedule.
    //  A bad receipt key refuses the run before it changes anything.
    //  A desk older than the tickets' links gets them first, once.
    int rc = dry_run ? 0 : opd_receipt_key_check (cfg) ? -1 : opd_pseudonym_schedule (redis, cfg, now) < 0 ? -1 : 0;
    if (rc == 0 && !dry_run && opd_anon_links_once (redis, cfg, now) < 0)
        rc = -1;
    if (rc == 0 && !dry_run)
        rc = opd_canary_plant (redis, cfg, now, &run.canary);
    if (rc == 0)
        rc = s_walk (redis, cfg, now, out, &run);
    run.walk_ms = opd_mono_ms () - t0;
    if (dry_run || rc < 0) {
        opd_canary_finish (redis, &run.canary, -1, run.run, &run.swept);
        if (run.run[0])
            s_receipt (redis, cfg, &run, opd_now_ms (), false);
        return rc < 0 ? -1 : run.tickets;
    }
    //  Tickets left pending by a run that stopped halfway are swept too.
    return s_finish (redis, cfg, now, &run, rc, t0);
}
