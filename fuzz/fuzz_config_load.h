/*  fuzz_config_load: what every harness that needs a configuration does
    once in LLVMFuzzerInitialize: parse a fixed text, or abort saying why
    (a harness without its configuration would fuzz nothing). */
#ifndef FUZZ_CONFIG_LOAD_H_INCLUDED
#define FUZZ_CONFIG_LOAD_H_INCLUDED
#include "opd_config.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  The desk of CONTRACT.md section 6 in brief: one 24x7 calendar and
//  policy, the impact x urgency matrix and the taxonomy. Harnesses append
//  their request types and limits.
#define FUZZ_DESK_CONFIG                                                                         \
    "ticket_prefix: OPD\n"                                                                       \
    "calendars: {always: {timezone: UTC, hours: 24x7}}\n"                                        \
    "slo_policies: [{name: all, match: {}, calendar: always, first_response: 1h}]\n"             \
    "priority_matrix: {high: {high: P1, medium: P2, low: P3}, medium: {high: P2, medium: P3, "   \
    "low: P4}, low: {high: P3, medium: P4, low: P4}}\n"                                          \
    "categories: {hardware: {laptop: {}, printer: {}}, network: {vpn: {}, wifi: {}}, access: {}}\n"

static inline opd_config_t *
fuzz_config_load (const char *harness, const char *text)
{
    char err[512];
    opd_config_t *cfg = opd_config_parse (text, strlen (text), "fuzz", err, sizeof err);
    if (!cfg) {
        fprintf (stderr, "%s: configuration refused: %s\n", harness, err);
        abort ();
    }
    return cfg;
}

//  What every such harness declares: its configuration s_cfg, loaded once
//  from text by LLVMFuzzerInitialize.
#define FUZZ_CONFIG_HARNESS(harness, text)                                                       \
    static opd_config_t *s_cfg;                                                                  \
    int LLVMFuzzerInitialize (int *argc, char ***argv);                                          \
    int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);                               \
    int LLVMFuzzerInitialize (int *argc, char ***argv)                                           \
    {                                                                                            \
        (void) argc;                                                                             \
        (void) argv;                                                                             \
        s_cfg = fuzz_config_load (harness, text);                                                \
        return 0;                                                                                \
    }
#endif
