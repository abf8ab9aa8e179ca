/*  anonymiser: see anonymiser.h.

    Each pass first closes resolved tickets past workflow.auto_close_days
    (opd_workflow.h), then anonymises.

    Deadlines live in Redis (opd:closed, scored by closed_at), so the service
    keeps no state: a pass after a restart finds everything that came due
    while it was down. A pass that fails (Redis down) is tried again every
    few seconds until one succeeds. */
#include "anonymiser.h"
#include "opd_anon_canary.h"
#include "opd_anonymise.h"
#include "opd_log.h"
#include "opd_receipt.h"
#include "opd_redis.h"
#include "opd_util.h"
#include "opd_workflow.h"
#include <czmq.h>

#define RETRY_MS 5000
#define TICK_MS 200
#define PROBE_MS 1000

//  Whether a ticket has closed since the last pass whose retention may
//  already be over (a rule of 0 days): then the pass runs now.
static bool
s_probe (opd_service_t *svc, opd_redis_t *redis, int64_t last_cutoff, int64_t *next_probe)
{
    if (last_cutoff < 0 || opd_mono_ms () < *next_probe)
        return false;
    *next_probe = opd_mono_ms () + PROBE_MS;
    return opd_anonymise_due_since (redis, last_cutoff, opd_anonymise_cutoff (svc->cfg, opd_now_ms ())) == 1;
}

int
anonymiser_run (opd_service_t *svc)
{
    opd_anonymise_background (svc->cfg);
    if (opd_receipt_key_check (svc->cfg))
        return 1;  //  a bad retention.receipt_key: refused at start, named in the log
    opd_redis_t *redis = opd_redis_new (svc->cfg);
    opd_redis_set_timeout (redis, 5000);
    if (opd_redis_connect (redis))
        opd_warn ("Redis is not reachable yet: %s", opd_redis_error (redis));
    opd_info ("ready interval=%llds closed_days=%d per_category_rules=%zu auto_close_days=%d",
              ANONYMISER_INTERVAL_MS / 1000, svc->cfg->retention_closed_days,
              svc->cfg->nretention_rules, svc->cfg->auto_close_days);
    int64_t next = opd_mono_ms ();  //  a pass at start
    int64_t last_cutoff = -1, next_probe = 0;
    while (!opd_service_stopping ()) {
        int reload = opd_service_reload (svc);
        if (reload == 1) {
            opd_redis_destroy (&redis);
            redis = opd_redis_new (svc->cfg);
        }
        if (reload != 0)
            next = opd_mono_ms ();  //  SIGHUP asks for a pass now
        if (s_probe (svc, redis, last_cutoff, &next_probe))
            next = opd_mono_ms ();
        if (opd_mono_ms () >= next) {
            int64_t started = opd_mono_ms ();
            int64_t cutoff = opd_anonymise_cutoff (svc->cfg, opd_now_ms ());
            //  Resolved tickets due to close first, so that their retention starts now.
            int closed = opd_autoclose_pass (redis, svc->cfg, opd_now_ms (), NULL);
            int n = closed < 0 ? -1 : opd_anonymise_pass (redis, svc->cfg, opd_now_ms (), false, NULL);
            if (n == OPD_CANARY_FAILED)  //  logged by store; retried at the next pass, not in 5 s
                next = opd_mono_ms () + ANONYMISER_INTERVAL_MS;
            else if (n < 0) {
                opd_warn ("pass failed, retrying in %ds: %s", RETRY_MS / 1000, opd_redis_error (redis));
                next = opd_mono_ms () + RETRY_MS;
            }
            else {
                opd_info ("pass closed=%d anonymised=%d ms=%lld", closed, n,
                          (long long) (opd_mono_ms () - started));
                next = opd_mono_ms () + ANONYMISER_INTERVAL_MS;
                last_cutoff = cutoff;
            }
        }
        opd_service_wait (TICK_MS);
    }
    opd_redis_destroy (&redis);
    return 0;
}
