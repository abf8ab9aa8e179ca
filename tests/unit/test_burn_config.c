/*  test_burn_config: the configuration key slo_burn (common/src/opd_config.c)
    and how opd_slo_burn reads it: the defaults are the constants of
    opd_config.h, every key can be set alone, and every bad value is refused
    with one line naming the key by its dotted path. */
#include "opd_config.h"
#include "opd_slo_burn.h"
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#define MIN 60000LL
#define HOUR 3600000LL

static const char *s_base =
    "redis: {host: 127.0.0.1, port: 6390}\n"
    "calendars: {always: {timezone: UTC, hours: 24x7}}\n"
    "slo_policies:\n"
    "  - {name: p1, match: {priority: P1}, calendar: always, first_response: 15m, objective: 0.95}\n"
    "teams: [{id: desk, name: Desk}]\n"
    "default_team: desk\n";

//  The base configuration with burn (YAML of the slo_burn key) added;
//  NULL with err filled in when refused.
static opd_config_t *
s_parse (const char *burn, char *err, size_t errlen)
{
    char text[2048];
    snprintf (text, sizeof text, "%s%s%s\n", s_base, burn ? "slo_burn: " : "", burn ? burn : "");
    err[0] = 0;
    return opd_config_parse (text, strlen (text), "test", err, errlen);
}

static void
test_burn_config_defaults_are_the_constants (void **state)
{
    (void) state;
    char err[512];
    opd_config_t *cfg = s_parse (NULL, err, sizeof err);
    assert_non_null (cfg);
    assert_int_equal (cfg->burn_window_ms, OPD_SLO_WINDOW_MS);
    assert_int_equal (cfg->burn_fast.long_ms, OPD_BURN_FAST_LONG_MS);
    assert_int_equal (cfg->burn_fast.short_ms, OPD_BURN_FAST_SHORT_MS);
    assert_float_equal (cfg->burn_fast.threshold, OPD_BURN_FAST_THRESHOLD, 1e-12);
    assert_int_equal (cfg->burn_slow.long_ms, OPD_BURN_SLOW_LONG_MS);
    assert_int_equal (cfg->burn_slow.short_ms, OPD_BURN_SLOW_SHORT_MS);
    assert_float_equal (cfg->burn_slow.threshold, OPD_BURN_SLOW_THRESHOLD, 1e-12);
    opd_config_destroy (&cfg);

    //  An empty map is the defaults too.
    cfg = s_parse ("{}", err, sizeof err);
    assert_non_null (cfg);
    assert_int_equal (cfg->burn_window_ms, OPD_SLO_WINDOW_MS);
    assert_float_equal (cfg->burn_slow.threshold, OPD_BURN_SLOW_THRESHOLD, 1e-12);
    opd_config_destroy (&cfg);

    //  A configuration made by hand (all zero) reads as the defaults.
    opd_config_t zero;
    memset (&zero, 0, sizeof zero);
    int64_t window;
    opd_burn_alert_t fast, slow;
    opd_slo_burn_settings (&zero, &window, &fast, &slow);
    assert_int_equal (window, OPD_SLO_WINDOW_MS);
    assert_int_equal (fast.short_ms, OPD_BURN_FAST_SHORT_MS);
    assert_float_equal (slow.threshold, OPD_BURN_SLOW_THRESHOLD, 1e-12);
}

static void
test_burn_config_every_key_is_read (void **state)
{
    (void) state;
    char err[512];
    opd_config_t *cfg = s_parse ("{window: 672h, fast: {long: 2h, short: 10m, threshold: 20},"
                                 " slow: {long: 12h, short: 1h, threshold: 3.5}}",
                                 err, sizeof err);
    assert_non_null (cfg);
    assert_int_equal (cfg->burn_window_ms, 672 * HOUR);
    assert_int_equal (cfg->burn_fast.long_ms, 2 * HOUR);
    assert_int_equal (cfg->burn_fast.short_ms, 10 * MIN);
    assert_float_equal (cfg->burn_fast.threshold, 20, 1e-12);
    assert_int_equal (cfg->burn_slow.long_ms, 12 * HOUR);
    assert_int_equal (cfg->burn_slow.short_ms, HOUR);
    assert_float_equal (cfg->burn_slow.threshold, 3.5, 1e-12);
    int64_t window;
    opd_burn_alert_t fast, slow;
    opd_slo_burn_settings (cfg, &window, &fast, &slow);
    assert_int_equal (window, 672 * HOUR);
    assert_int_equal (fast.long_ms, 2 * HOUR);
    assert_float_equal (slow.threshold, 3.5, 1e-12);
    opd_config_destroy (&cfg);

    //  One key alone keeps the others' defaults.
    cfg = s_parse ("{slow: {threshold: 9}, window: 168h}", err, sizeof err);
    assert_non_null (cfg);
    assert_int_equal (cfg->burn_window_ms, 168 * HOUR);
    assert_float_equal (cfg->burn_slow.threshold, 9, 1e-12);
    assert_int_equal (cfg->burn_slow.long_ms, OPD_BURN_SLOW_LONG_MS);
    assert_int_equal (cfg->burn_fast.long_ms, OPD_BURN_FAST_LONG_MS);
    assert_float_equal (cfg->burn_fast.threshold, OPD_BURN_FAST_THRESHOLD, 1e-12);
    opd_config_destroy (&cfg);
}

static void
test_burn_config_refuses_bad_values_naming_the_key (void **state)
{
    (void) state;
    static const struct {
        const char *burn, *key, *says;
    } cases[] = {
        {"[1, 2]", "slo_burn:", "must be a map"},
        {"{windows: 672h}", "slo_burn.windows:", "unknown key"},
        {"{window: 7d}", "slo_burn.window:", "not a duration"},
        {"{window: 0h}", "slo_burn.window:", "not a duration"},
        {"{window: 841h}", "slo_burn.window:", "at most 840h"},
        {"{fast: 5m}", "slo_burn.fast:", "must be a map"},
        {"{fast: {long: 1h, shortt: 5m}}", "slo_burn.fast.shortt:", "unknown key"},
        {"{fast: {long: soon}}", "slo_burn.fast.long:", "not a duration"},
        {"{fast: {short: 1h}}", "slo_burn.fast.short:", "shorter than slo_burn.fast.long"},
        {"{slow: {long: 6h, short: 6h}}", "slo_burn.slow.short:", "shorter than slo_burn.slow.long"},
        {"{window: 2h, slow: {long: 3h}}", "slo_burn.slow.long:", "not be longer than slo_burn.window"},
        {"{fast: {threshold: 0}}", "slo_burn.fast.threshold:", "above 0"},
        {"{slow: {threshold: -1}}", "slo_burn.slow.threshold:", "above 0"},
        {"{slow: {threshold: many}}", "slo_burn.slow.threshold:", "must be a number"},
        {"{fast: {threshold: 1001}}", "slo_burn.fast.threshold:", "at most 1000"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[512];
        opd_config_t *cfg = s_parse (cases[i].burn, err, sizeof err);
        if (cfg)
            fail_msg ("slo_burn: %s was accepted", cases[i].burn);
        if (!strstr (err, cases[i].key) || !strstr (err, cases[i].says))
            fail_msg ("slo_burn: %s: error '%s' should name '%s' and say '%s'", cases[i].burn, err,
                      cases[i].key, cases[i].says);
    }
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_burn_config_defaults_are_the_constants),
        cmocka_unit_test (test_burn_config_every_key_is_read),
        cmocka_unit_test (test_burn_config_refuses_bad_values_naming_the_key),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
