/*  fuzz_config: libFuzzer harness for the configuration loader
    (opd_config_parse), which every service runs on the file at start and on
    SIGHUP.

    Each input is parsed as a whole configuration file. A refused input must
    come with one line of error text (no line break: it is logged as is); an
    accepted one is queried the way the services query it (policy, retention,
    category, matrix and lookups) and destroyed. A crash, a sanitizer report,
    a leak, a slow input (-timeout) or an allocation above -malloc_limit_mb
    (the alias bombs) is a finding. Built and run by fuzz/run.sh; seeds in
    fuzz/corpus/config/ (fuzz/make_corpus_config.py writes them). */
#include "opd_config.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    char err[512];
    err[0] = 0;
    opd_config_t *cfg = opd_config_parse ((const char *) data, size, "fuzz.yaml", err, sizeof err);
    if (!cfg) {
        if (!err[0] || strchr (err, '\n') || strchr (err, '\r'))
            abort ();
        return 0;
    }
    static const char *const cats[] = {"hardware", "hardware/laptop", "network/vpn", "", NULL};
    static const char *const prios[] = {"P1", "P3", NULL};
    for (size_t i = 0; i < sizeof cats / sizeof cats[0]; i++) {
        for (int j = 0; prios[j]; j++) {
            opd_ticket_facts_t t = {.priority = prios[j], .kind = "incident",
                                    .category = cats[i], .channel = "web"};
            const opd_policy_t *p = opd_config_policy_for (cfg, &t);
            if (p && !opd_config_calendar (cfg, p->calendar))
                abort ();  //  a policy's calendar was checked at load
        }
        if (opd_config_retention_days (cfg, cats[i]) < 0)
            abort ();
        (void) opd_config_category_exists (cfg, cats[i]);
    }
    (void) opd_config_matrix_priority (cfg, "high", "low");
    if (cfg->default_team && !opd_config_team (cfg, cfg->default_team))
        abort ();
    for (size_t i = 0; i < cfg->nrules; i++)
        if (cfg->rules[i].team && !opd_config_team (cfg, cfg->rules[i].team))
            abort ();
    opd_config_destroy (&cfg);
    if (cfg)
        abort ();
    return 0;
}
