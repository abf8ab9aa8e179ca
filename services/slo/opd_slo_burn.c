/*  opd_slo_burn: see opd_slo_burn.h. */
#include "opd_schema.h"
#include "opd_slo_burn.h"
#include "opd_slo_policy.h"
#include "opd_util.h"
#include <stdlib.h>

double
opd_slo_burn_rate (long met, long breached, double objective)
{
    if (met + breached <= 0 || !(objective > 0 && objective < 1))
        return 0;
    return ((double) breached / (double) (met + breached)) / (1.0 - objective);
}

bool
opd_slo_burn_alert (double rate_long, double rate_short, double threshold)
{
    return rate_long > threshold && rate_short > threshold;
}

void
opd_slo_burn_settings (const opd_config_t *cfg, int64_t *window_ms, opd_burn_alert_t *fast,
                       opd_burn_alert_t *slow)
{
    //  A configuration made by hand (zeroed) gets the defaults.
    *window_ms = cfg->burn_window_ms > 0 ? cfg->burn_window_ms : OPD_SLO_WINDOW_MS;
    *fast = cfg->burn_fast.long_ms > 0 ? cfg->burn_fast
                                       : (opd_burn_alert_t) {OPD_BURN_FAST_LONG_MS, OPD_BURN_FAST_SHORT_MS,
                                                             OPD_BURN_FAST_THRESHOLD};
    *slow = cfg->burn_slow.long_ms > 0 ? cfg->burn_slow
                                       : (opd_burn_alert_t) {OPD_BURN_SLOW_LONG_MS, OPD_BURN_SLOW_SHORT_MS,
                                                             OPD_BURN_SLOW_THRESHOLD};
}

int
opd_slo_burn_compute (opd_redis_t *redis, const opd_config_t *cfg, int64_t now, opd_slo_burn_t **out)
{
    int64_t window;
    opd_burn_alert_t fast, slow;
    opd_slo_burn_settings (cfg, &window, &fast, &slow);
    //  In the order of the rate fields: budget, fast short, slow short, fast long, slow long.
    const int64_t windows[] = {window, fast.short_ms, slow.short_ms, fast.long_ms, slow.long_ms};
    enum { NW = 5 };
    *out = NULL;
    size_t cap = cfg->npolicies * 3, n = 0;
    if (cap == 0)
        return 0;
    opd_slo_burn_t *v = opd_calloc (cap, sizeof *v);
    for (size_t i = 0; i < cfg->npolicies; i++) {
        const opd_policy_t *p = &cfg->policies[i];
        if (!opd_slo_has_objective (p))
            continue;
        for (int c = 0; c < 3; c++)
            if (opd_slo_target (p, c) > 0)
                v[n++] = (opd_slo_burn_t) {.policy = p->name, .slo = opd_slo_names[c], .objective = p->objective};
    }
    //  Two ZCOUNTs (met, breached) per window, every SLO in one pipeline.
    size_t sent = 0;
    bool failed = false;
    for (size_t i = 0; i < n && !failed; i++)
        for (int w = 0; w < NW && !failed; w++)
            for (int o = 0; o < 2 && !failed; o++) {
                opd_args_t a;
                opd_args_init (&a);
                opd_args_add (&a, "ZCOUNT");
                opd_args_addf (&a, OPD_KEY_SLO_DONE_FMT, v[i].policy, v[i].slo, o ? "breached" : "met");
                opd_args_addi (&a, now - windows[w]);
                opd_args_add (&a, "+inf");
                if (opd_redis_append_argv (redis, &a) == 0)
                    sent++;
                else
                    failed = true;
                opd_args_free (&a);
            }
    long *counts = opd_calloc (sent + 1, sizeof *counts);
    for (size_t k = 0; k < sent; k++) {
        redisReply *r = opd_redis_get_reply (redis);
        if (!r) {
            failed = true;
            break;
        }
        counts[k] = r->type == REDIS_REPLY_INTEGER ? (long) r->integer : 0;
        freeReplyObject (r);
    }
    if (failed) {
        free (counts);
        free (v);
        opd_redis_disconnect (redis);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        long *k = &counts[i * NW * 2];
        double rate[NW];
        for (int w = 0; w < NW; w++)
            rate[w] = opd_slo_burn_rate (k[2 * w], k[2 * w + 1], v[i].objective);
        v[i].met = k[0];
        v[i].breached = k[1];
        v[i].budget_spent = rate[0];
        v[i].rate_5m = rate[1];
        v[i].rate_30m = rate[2];
        v[i].rate_1h = rate[3];
        v[i].rate_6h = rate[4];
        v[i].fast = opd_slo_burn_alert (v[i].rate_1h, v[i].rate_5m, fast.threshold);
        v[i].slow = opd_slo_burn_alert (v[i].rate_6h, v[i].rate_30m, slow.threshold);
    }
    free (counts);
    *out = v;
    return (int) n;
}
