/*  opd_slo_policy: what the SLO report, the burn rates, the histograms and
    the metrics text share about a policy: the three SLOs by name, a
    policy's target of each, whether it has an objective, and working time
    on its calendar. Part of libopdslo (services/slo/). */
#ifndef OPD_SLO_POLICY_H_INCLUDED
#define OPD_SLO_POLICY_H_INCLUDED
#include "opd_config.h"
#include <stdbool.h>
#include <stdint.h>

//  The SLOs in clock order: "first_response", "next_reply", "resolution".
extern const char *const opd_slo_names[3];

//  The configured policy of that name (borrowed), or NULL.
const opd_policy_t *opd_slo_policy (const opd_config_t *cfg, const char *name);

//  The policy's target of SLO c (0 first response, 1 next reply, 2
//  resolution), in ms; 0 when it has none.
int64_t opd_slo_target (const opd_policy_t *p, int c);

//  True when p (may be NULL) has an objective strictly between 0 and 1.
bool opd_slo_has_objective (const opd_policy_t *p);

//  Working time from..to on the policy's calendar (real time without one),
//  less the spans of pauses (opd_timespans_parse text; may be NULL).
int64_t opd_slo_working (const opd_config_t *cfg, const opd_policy_t *p, int64_t from, int64_t to,
                         const char *pauses);
#endif
